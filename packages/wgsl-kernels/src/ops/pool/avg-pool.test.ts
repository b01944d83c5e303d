import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { avgPool2d } from './avg-pool.js';
import { avgPool2dBackwardRef, avgPool2dRef } from './avg-pool.reference.js';
import { avgPool2dBackward } from './avg-pool-backward.js';
import { type Pool2dShape, pool2dGeometry, pool2dOutputShape, poolAxis } from './pool-geometry.js';
import { inputSize, poolTestShapes } from './pool-test-shapes.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(1709);
const outputSize = (s: Pool2dShape) => pool2dOutputShape(s).reduce((a, b) => a * b, 1);

describe('pool geometry', () => {
  it('matches TensorFlow SAME/VALID output sizes and padding', () => {
    // (size, k, stride, padding) → [out, padBefore], worked out from TF's formula by hand.
    const cases: [number, number, number, 'same' | 'valid', [number, number] | undefined][] = [
      [32, 3, 2, 'same', [16, 0]], // padTotal 1: the extra row goes after
      [5, 3, 2, 'same', [3, 1]], // padTotal 2
      [7, 3, 1, 'same', [7, 1]],
      [2, 3, 2, 'same', [1, 0]], // window larger than the input
      [1, 3, 1, 'same', [1, 1]],
      [8, 5, 3, 'valid', [2, 0]], // the CIFAR auxiliary head: 8×8 → 2×2
      [9, 5, 3, 'valid', [2, 0]],
      [4, 5, 3, 'valid', undefined],
    ];
    for (const [size, k, s, padding, expected] of cases) {
      const axis = poolAxis(size, k, s, padding);
      expect(axis ? [axis.out, axis.padBefore] : undefined).toEqual(expected);
    }
    expect(pool2dGeometry({ N: 2, C: 3, H: 7, W: 8, kernelSize: 3, stride: 2, padding: 'same' })).toMatchObject({
      Hout: 4,
      Wout: 4,
      padTop: 1,
      padLeft: 0,
    });
  });
});

describe('avgPool2d', () => {
  for (const { label, shape } of poolTestShapes(rng)) {
    it(`forward and backward (plain and accumulating) match float64 on ${label}`, async () => {
      const nIn = inputSize(shape);
      const nOut = outputSize(shape);
      const x = rng.f32(nIn);
      const dy = rng.f32(nOut);
      const prior = rng.f32(nIn);
      const [ys, dx, dxAcc] = [poisoned(ctx, nOut), poisoned(ctx, nIn), upload(ctx, prior)];
      await runOnGpu(ctx, (rec) => {
        avgPool2d(rec, { x: upload(ctx, x), y: ys }, shape);
        avgPool2dBackward(rec, { dy: upload(ctx, dy), dx }, shape);
        avgPool2dBackward(rec, { dy: upload(ctx, dy), dx: dxAcc }, shape, true);
      });
      expectClose(await download(ctx, ys, nOut), avgPool2dRef(x, shape), { label: `${label} y` });
      const dxRef = avgPool2dBackwardRef(dy, shape);
      expectClose(await download(ctx, dx, nIn), dxRef, { label: `${label} dx` });
      expectClose(
        await download(ctx, dxAcc, nIn),
        dxRef.map((v, i) => v + (prior[i] as number)),
        { label: `${label} dx accumulate` },
      );
    });
  }

  it('excludes padding from the divisor: a constant input stays constant at the borders', async () => {
    const shape = { N: 1, C: 1, H: 4, W: 5, kernelSize: 3, stride: 2, padding: 'same' } as const;
    const ys = poisoned(ctx, outputSize(shape));
    await runOnGpu(ctx, (rec) => avgPool2d(rec, { x: upload(ctx, new Float32Array(20).fill(2.5)), y: ys }, shape));
    expect(Array.from(await download(ctx, ys, outputSize(shape)))).toEqual(new Array(outputSize(shape)).fill(2.5));
  });

  it('backward reference matches finite differences of the forward reference', () => {
    for (const shape of [
      { N: 1, C: 2, H: 5, W: 4, kernelSize: 3, stride: 1, padding: 'same' },
      { N: 2, C: 1, H: 5, W: 6, kernelSize: 3, stride: 2, padding: 'same' },
      { N: 1, C: 1, H: 9, W: 8, kernelSize: 5, stride: 3, padding: 'valid' },
    ] as const) {
      const x = Float64Array.from(rng.f32(inputSize(shape)));
      const dy = Float64Array.from(rng.f32(outputSize(shape)));
      const loss = (v: Float64Array) => avgPool2dRef(v, shape).reduce((s, y, i) => s + y * (dy[i] as number), 0);
      expectClose(avgPool2dBackwardRef(dy, shape), finiteDifferences(loss, x), { rtol: 1e-6, label: 'avg pool finite differences' });
    }
  });

  it('rejects bad input with a message naming the function and the problem', () => {
    const shape: Pool2dShape = { N: 1, C: 1, H: 4, W: 4, kernelSize: 5, stride: 3, padding: 'valid' };
    const rec = new Recorder(ctx, 'bad input'); // validation throws before anything is recorded
    const x = upload(ctx, new Float32Array(16));
    expect(() => avgPool2d(rec, { x, y: poisoned(ctx, 1) }, shape)).toThrow(
      /avgPool2d: input 4×4 is smaller than the 5×5 window with padding 'valid'/,
    );
    const same = { ...shape, kernelSize: 3, padding: 'same' } as const; // 4×4 → 2×2
    expect(() => avgPool2d(rec, { x, y: poisoned(ctx, 3) }, same)).toThrow(/avgPool2d: operand 'y' holds 3 elements .* needs 4/);
    expect(() => avgPool2d(rec, { x, y: poisoned(ctx, 4) }, { ...same, N: 0 })).toThrow(/avgPool2d: N = 0/);
    expect(() => avgPool2dBackward(rec, { dy: poisoned(ctx, 3), dx: poisoned(ctx, 16) }, same)).toThrow(
      /avgPool2dBackward: operand 'dy' holds 3/,
    );
    expect(() => avgPool2dBackward(rec, { dy: poisoned(ctx, 4), dx: poisoned(ctx, 15) }, same)).toThrow(
      /avgPool2dBackward: operand 'dx' holds 15/,
    );
  });
});
