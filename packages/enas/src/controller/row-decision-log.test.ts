import { Engine } from '@enas-webgpu/autograd';
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RowDecisionLog } from './row-decision-log.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 3 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

describe('RowDecisionLog', () => {
  // The macro controller's rows for 4 layers: op 0 | op 1, skips 1 | op 2, skips 2 | op 3, skips 3.
  const widths = [1, 1, 1, 1, 2, 1, 3];

  it.each([undefined, 256])(
    'packs rows at aligned offsets (alignment %s) into row order, and sums entropies and log-probs',
    async (alignment) => {
      const log = new RowDecisionLog(engine, widths, `rows-${alignment}`, alignment);
      expect(log.count).toBe(10);
      const align = alignment ?? ctx.limits.minStorageBufferOffsetAlignment;
      const write = (slot: (r: number) => { buffer: GPUBuffer; offset: number }, r: number, values: Uint32Array | Float32Array) => {
        const s = slot(r);
        expect(s.offset % align).toBe(0);
        ctx.writeBuffer(s.buffer, s.offset, values);
      };
      let next = 1;
      widths.forEach((w, r) => {
        const words = Uint32Array.from({ length: w }, () => next++);
        write((i) => log.indexSlot(i), r, words);
        write(
          (i) => log.entropySlot(i),
          r,
          Float32Array.from(words, (v) => v / 2),
        );
        write(
          (i) => log.logProbSlot(i),
          r,
          Float32Array.from(words, (v) => -v),
        );
        expect(log.row(r).size).toBe(w);
      });
      const step = engine.beginStep('pack');
      log.pack();
      const words = step.readU32(log.packedIndices);
      const entropy = step.read(log.entropySum);
      const logProb = step.read(log.logProbSum);
      step.submit();
      expect(Array.from(await words)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await entropy)[0]).toBeCloseTo(55 / 2, 5);
      expect((await logProb)[0]).toBeCloseTo(-55, 5);
    },
  );

  it('rejects empty rows, unknown rows and an alignment the device cannot bind', () => {
    expect(() => new RowDecisionLog(engine, [1, 0], 'bad')).toThrow(
      /bad: every row of a decision log needs a positive integer width, got \[1, 0\]/,
    );
    const log = new RowDecisionLog(engine, [2], 'one');
    expect(() => log.row(1)).toThrow(/decision row 1 is outside this log of 1 rows/);
    const device = ctx.limits.minStorageBufferOffsetAlignment;
    expect(() => new RowDecisionLog(engine, [1], 'odd', device + 4)).toThrow(
      /row alignment \d+ must be a multiple of minStorageBufferOffsetAlignment/,
    );
  });
});
