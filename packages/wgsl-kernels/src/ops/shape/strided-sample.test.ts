import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { type StridedSampleShape, stridedSample, stridedSampleBackward, stridedSampleOutputShape } from './strided-sample.js';
import { stridedSampleBackwardRef, stridedSampleRef } from './strided-sample.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(515);
const inputSize = (s: StridedSampleShape) => s.N * s.C * s.H * s.W;
const outputSize = (s: StridedSampleShape) => stridedSampleOutputShape(s).reduce((a, b) => a * b, 1);

const shapes: StridedSampleShape[] = [];
// Factorized reduction: stride 2, both paths, on odd and even sizes, 1×1 spatial and batch 1.
for (const [N, C, H, W] of [
  [2, 3, 7, 5],
  [1, 2, 6, 8],
  [1, 1, 1, 1],
  [2, 2, 1, 4],
  [rng.int(1, 2), rng.int(1, 3), rng.int(1, 9), rng.int(1, 9)],
] as const) {
  shapes.push({ N, C, H, W, stride: 2, offset: 0 }, { N, C, H, W, stride: 2, offset: 1 });
}
// General strides.
shapes.push({ N: 2, C: 1, H: 7, W: 8, stride: 3, offset: 2 }, { N: 1, C: 2, H: 3, W: 5, stride: 1, offset: 0 });

describe('stridedSample', () => {
  it.each(shapes)('forward and backward (plain and accumulating) match float64 on %o', async (shape) => {
    const nIn = inputSize(shape);
    const nOut = outputSize(shape);
    const x = rng.f32(nIn);
    const dy = rng.f32(nOut);
    const prior = rng.f32(nIn);
    const [ys, dx, dxAcc] = [poisoned(ctx, nOut), poisoned(ctx, nIn), upload(ctx, prior)];
    await runOnGpu(ctx, (rec) => {
      stridedSample(rec, { x: upload(ctx, x), y: ys }, shape);
      stridedSampleBackward(rec, { dy: upload(ctx, dy), dx }, shape);
      stridedSampleBackward(rec, { dy: upload(ctx, dy), dx: dxAcc }, shape, true);
    });
    expectClose(await download(ctx, ys, nOut), stridedSampleRef(x, shape), { rtol: 0, label: 'y' });
    const dxRef = stridedSampleBackwardRef(dy, shape);
    expectClose(await download(ctx, dx, nIn), dxRef, { rtol: 0, label: 'dx' });
    expectClose(
      await download(ctx, dxAcc, nIn),
      dxRef.map((v, i) => v + (prior[i] as number)),
      { label: 'dx accumulate' },
    );
  });

  it('is x[:, :, 0::2, 0::2] and x[:, :, 1::2, 1::2] with zeros past the edge (ENAS factorized reduction)', async () => {
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1); // [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    const base = { N: 1, C: 1, H: 3, W: 3, stride: 2 };
    const path1 = poisoned(ctx, 4);
    const path2 = poisoned(ctx, 4);
    await runOnGpu(ctx, (rec) => {
      stridedSample(rec, { x: upload(ctx, x), y: path1 }, { ...base, offset: 0 });
      stridedSample(rec, { x: upload(ctx, x), y: path2 }, { ...base, offset: 1 });
    });
    expect(Array.from(await download(ctx, path1, 4))).toEqual([1, 3, 7, 9]);
    expect(Array.from(await download(ctx, path2, 4))).toEqual([5, 0, 0, 0]);
  });

  it('backward reference matches finite differences of the forward reference', () => {
    for (const shape of [
      { N: 1, C: 2, H: 5, W: 4, stride: 2, offset: 1 },
      { N: 2, C: 1, H: 4, W: 5, stride: 2, offset: 0 },
      { N: 1, C: 1, H: 7, W: 7, stride: 3, offset: 1 },
    ]) {
      const x = Float64Array.from(rng.f32(inputSize(shape)));
      const dy = Float64Array.from(rng.f32(outputSize(shape)));
      const loss = (v: Float64Array) => stridedSampleRef(v, shape).reduce((s, y, i) => s + y * (dy[i] as number), 0);
      expectClose(stridedSampleBackwardRef(dy, shape), finiteDifferences(loss, x), {
        rtol: 1e-6,
        label: 'strided sample finite differences',
      });
    }
  });

  it('rejects bad input with a message naming the function and the problem', () => {
    const rec = new Recorder(ctx, 'bad input'); // validation throws before anything is recorded
    const shape = { N: 1, C: 2, H: 5, W: 5, stride: 2, offset: 1 }; // → [1, 2, 3, 3]
    const x = poisoned(ctx, 50);
    expect(() => stridedSample(rec, { x, y: poisoned(ctx, 17) }, shape)).toThrow(
      /stridedSample: operand 'y' holds 17 elements .* needs 18/,
    );
    expect(() => stridedSample(rec, { x: poisoned(ctx, 49), y: poisoned(ctx, 18) }, shape)).toThrow(/stridedSample: operand 'x' holds 49/);
    expect(() => stridedSample(rec, { x, y: poisoned(ctx, 18) }, { ...shape, offset: 2 })).toThrow(
      /stridedSample: offset = 2 with stride 2; the offset must be an integer in \[0, 1\]/,
    );
    expect(() => stridedSample(rec, { x, y: poisoned(ctx, 18) }, { ...shape, stride: 0 })).toThrow(/stridedSample: stride = 0/);
    expect(() => stridedSampleBackward(rec, { dy: poisoned(ctx, 18), dx: poisoned(ctx, 40) }, shape)).toThrow(
      /stridedSampleBackward: operand 'dx' holds 40/,
    );
    expect(rec.dispatchCount).toBe(0);
  });
});
