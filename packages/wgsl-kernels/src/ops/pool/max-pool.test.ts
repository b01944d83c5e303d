import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import {
  download,
  downloadU32,
  expectClose,
  finiteDifferences,
  poisoned,
  poisonedU32,
  Rng,
  runOnGpu,
  testContext,
  upload,
  uploadU32,
} from '../../testing/index.js';
import { maxPool2d } from './max-pool.js';
import { maxPool2dBackwardRef, maxPool2dRef } from './max-pool.reference.js';
import { maxPool2dBackward } from './max-pool-backward.js';
import { type Pool2dShape, pool2dOutputShape } from './pool-geometry.js';
import { inputSize, poolTestShapes } from './pool-test-shapes.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(3301);
const outputSize = (s: Pool2dShape) => pool2dOutputShape(s).reduce((a, b) => a * b, 1);

/** Forward (with argmax) then backward on the GPU, compared with the references; max is exact, so rtol 0. */
async function checkForwardBackward(x: Float32Array, shape: Pool2dShape, label: string): Promise<void> {
  const nOut = outputSize(shape);
  const nIn = inputSize(shape);
  const dy = rng.f32(nOut);
  const prior = rng.f32(nIn);
  const [xs, ys, argmax, dx, dxAcc] = [upload(ctx, x), poisoned(ctx, nOut), poisonedU32(ctx, nOut), poisoned(ctx, nIn), upload(ctx, prior)];
  await runOnGpu(ctx, (rec) => {
    maxPool2d(rec, { x: xs, y: ys, argmax }, shape);
    // The backward reads the argmax this forward just wrote: forward and backward agree on ties by construction.
    maxPool2dBackward(rec, { dy: upload(ctx, dy), argmax, dx }, shape);
    maxPool2dBackward(rec, { dy: upload(ctx, dy), argmax, dx: dxAcc }, shape, true);
  });
  const ref = maxPool2dRef(x, shape);
  expectClose(await download(ctx, ys, nOut), ref.y, { rtol: 0, label: `${label} y` });
  expect(Array.from(await downloadU32(ctx, argmax, nOut))).toEqual(Array.from(ref.argmax));
  const dxRef = maxPool2dBackwardRef(dy, ref.argmax, shape);
  expectClose(await download(ctx, dx, nIn), dxRef, { label: `${label} dx` });
  expectClose(
    await download(ctx, dxAcc, nIn),
    dxRef.map((v, i) => v + (prior[i] as number)),
    { label: `${label} dx accumulate` },
  );
}

describe('maxPool2d', () => {
  for (const { label, shape } of poolTestShapes(rng)) {
    it(`forward, argmax and backward (plain and accumulating) match float64 on ${label}`, async () => {
      await checkForwardBackward(rng.f32(inputSize(shape)), shape, label);
    });
  }

  it('follows the tie rule on inputs full of ties (values from {0, 0.5, 1})', async () => {
    for (const shape of [
      { N: 2, C: 2, H: 7, W: 6, kernelSize: 3, stride: 1, padding: 'same' },
      { N: 1, C: 3, H: 5, W: 7, kernelSize: 3, stride: 2, padding: 'same' },
    ] as const) {
      const x = Float32Array.from({ length: inputSize(shape) }, () => rng.int(0, 2) / 2);
      await checkForwardBackward(x, shape, 'ties');
    }
  });

  it('tie rule on a constant input: the first in-bounds element of each window (row-major) wins', async () => {
    const shape = { N: 1, C: 1, H: 3, W: 3, kernelSize: 3, stride: 1, padding: 'same' } as const;
    const argmax = poisonedU32(ctx, 9);
    const dx = poisoned(ctx, 9);
    await runOnGpu(ctx, (rec) => {
      maxPool2d(rec, { x: upload(ctx, new Float32Array(9).fill(1)), y: poisoned(ctx, 9), argmax }, shape);
      maxPool2dBackward(rec, { dy: upload(ctx, new Float32Array(9).fill(1)), argmax, dx }, shape);
    });
    // Windows are clamped to the image: output (r, c) starts at input (max(r − 1, 0), max(c − 1, 0)).
    expect(Array.from(await downloadU32(ctx, argmax, 9))).toEqual([0, 0, 1, 0, 0, 1, 3, 3, 4]);
    expect(Array.from(await download(ctx, dx, 9))).toEqual([4, 2, 0, 2, 1, 0, 0, 0, 0]);
  });

  it('ignores padding: an all-negative input never yields 0', async () => {
    const shape = { N: 1, C: 2, H: 5, W: 4, kernelSize: 3, stride: 2, padding: 'same' } as const;
    await checkForwardBackward(rng.f32(inputSize(shape), -3, -1), shape, 'negative');
  });

  it('writes y alone when no argmax is given', async () => {
    const shape = { N: 1, C: 2, H: 5, W: 5, kernelSize: 3, stride: 2, padding: 'same' } as const;
    const x = rng.f32(inputSize(shape));
    const ys = poisoned(ctx, outputSize(shape));
    await runOnGpu(ctx, (rec) => maxPool2d(rec, { x: upload(ctx, x), y: ys }, shape));
    expectClose(await download(ctx, ys, outputSize(shape)), maxPool2dRef(x, shape).y, { rtol: 0, label: 'y without argmax' });
  });

  it('backward reference matches finite differences of the forward reference (tie-free input)', () => {
    for (const shape of [
      { N: 1, C: 2, H: 5, W: 4, kernelSize: 3, stride: 1, padding: 'same' },
      { N: 2, C: 1, H: 5, W: 5, kernelSize: 3, stride: 2, padding: 'same' },
      { N: 1, C: 1, H: 8, W: 7, kernelSize: 5, stride: 3, padding: 'valid' },
    ] as const) {
      // A shuffled ramp: distinct values 0.05 apart, far beyond the finite-difference step.
      const n = inputSize(shape);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      const x = Float64Array.from(order, (v) => v * 0.05 - 1);
      const dy = Float64Array.from(rng.f32(outputSize(shape)));
      const loss = (v: Float64Array) => maxPool2dRef(v, shape).y.reduce((s, y, i) => s + y * (dy[i] as number), 0);
      const analytic = maxPool2dBackwardRef(dy, maxPool2dRef(x, shape).argmax, shape);
      expectClose(analytic, finiteDifferences(loss, x), { rtol: 1e-6, label: 'max pool finite differences' });
    }
  });

  it('rejects bad input with a message naming the function and the problem', () => {
    const shape: Pool2dShape = { N: 1, C: 2, H: 5, W: 5, kernelSize: 3, stride: 2, padding: 'same' };
    const x = upload(ctx, new Float32Array(50));
    // Validation throws before anything is recorded, so one recorder serves every case (never submitted).
    const recorder = new Recorder(ctx, 'bad input');
    const rec = () => recorder;
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 17) }, shape)).toThrow(/maxPool2d: operand 'y' holds 17 elements .* needs 18/);
    expect(() => maxPool2d(rec(), { x: upload(ctx, new Float32Array(49)), y: poisoned(ctx, 18) }, shape)).toThrow(
      /maxPool2d: operand 'x' holds 49/,
    );
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 18), argmax: uploadU32(ctx, [1, 2]) }, shape)).toThrow(
      /maxPool2d: operand 'argmax'/,
    );
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 18) }, { ...shape, stride: 0 })).toThrow(/maxPool2d: stride = 0/);
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 18) }, { ...shape, kernelSize: 2.5 })).toThrow(/maxPool2d: kernelSize = 2.5/);
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 18) }, { ...shape, padding: 'full' as never })).toThrow(
      /maxPool2d: padding 'full' is not supported/,
    );
    expect(() => maxPool2d(rec(), { x, y: poisoned(ctx, 18) }, { ...shape, kernelSize: 7, padding: 'valid' })).toThrow(
      /maxPool2d: input 5×5 is smaller than the 7×7 window/,
    );
    expect(() =>
      maxPool2dBackward(rec(), { dy: poisoned(ctx, 18), argmax: uploadU32(ctx, new Array(18).fill(0)), dx: poisoned(ctx, 49) }, shape),
    ).toThrow(/maxPool2dBackward: operand 'dx' holds 49/);
  });
});
