import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { unary, unaryBackward } from './unary.js';
import { unaryBackwardRef, unaryRef } from './unary.reference.js';
import { UNARY_OP_NAMES, UNARY_OPS } from './unary-ops.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe.each(UNARY_OP_NAMES)('%s', (op) => {
  const rng = new Rng(op.length * 7919);
  // 1 element, a partial workgroup, several workgroups with a ragged tail.
  const sizes = [1, 37, 256 * 3 + 5, 1024]; // 1024: the vec4 program

  it.each(sizes)('forward matches float64 on %i elements', async (n) => {
    const x = rng.f32(n, -6, 6);
    const xs = upload(ctx, x);
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => unary(rec, op, xs, ys, n));
    expectClose(await download(ctx, ys, n), unaryRef(op, x), { rtol: 1e-5, label: `${op} forward` });
  });

  it.each(sizes)('backward matches float64 on %i elements, plain and accumulating', async (n) => {
    const x = rng.f32(n, -6, 6);
    const dy = rng.f32(n);
    const y = Float32Array.from(unaryRef(op, x));
    const xs = upload(ctx, x);
    const ys = upload(ctx, y);
    const dys = upload(ctx, dy);
    const dxs = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => unaryBackward(rec, op, { x: xs, y: ys, dy: dys, dx: dxs }, n));
    const expected = unaryBackwardRef(op, x, dy, y);
    expectClose(await download(ctx, dxs, n), expected, { rtol: 1e-5, label: `${op} backward` });

    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => unaryBackward(rec, op, { x: xs, y: ys, dy: dys, dx: acc }, n, true));
    expectClose(
      await download(ctx, acc, n),
      expected.map((v, i) => v + (prior[i] as number)),
      { rtol: 1e-5, label: `${op} backward accumulate` },
    );
  });

  it('backward reference is the derivative of the forward reference (finite differences)', () => {
    // Keep away from relu's kink at 0, where the finite difference straddles two slopes.
    const x = Float64Array.from(rng.f32(16, -3, 3), (v) => (Math.abs(v) < 0.01 ? v + 0.05 : v));
    const dy = Float64Array.from(rng.f32(16));
    const loss = (v: Float64Array) => unaryRef(op, v).reduce((s, yi, i) => s + yi * (dy[i] as number), 0);
    expectClose(unaryBackwardRef(op, x, dy), finiteDifferences(loss, x), { rtol: 1e-6, label: `${op} finite differences` });
  });
});

describe('unary edge values', () => {
  it('tanh and sigmoid stay finite and saturate for huge inputs', async () => {
    const x = new Float32Array([-1e30, -100, 100, 1e30, 0]);
    for (const op of ['tanh', 'sigmoid'] as const) {
      const ys = poisoned(ctx, x.length);
      await runOnGpu(ctx, (rec) => unary(rec, op, upload(ctx, x), ys, x.length));
      const y = await download(ctx, ys, x.length);
      expect(Array.from(y, (v) => Number.isFinite(v))).toEqual([true, true, true, true, true]);
      expect(y[3]).toBeCloseTo(1, 6);
      expect(y[4]).toBeCloseTo(UNARY_OPS[op].cpu(0), 6);
    }
  });
});
