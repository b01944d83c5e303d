import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { type GlobalAvgPoolShape, globalAvgPool, globalAvgPoolBackward } from './global-avg-pool.js';
import { globalAvgPoolBackwardRef, globalAvgPoolRef } from './global-avg-pool.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(77);
const size = (s: GlobalAvgPoolShape) => s.N * s.C * s.H * s.W;

const shapes: GlobalAvgPoolShape[] = [
  { N: 1, C: 1, H: 1, W: 1 },
  { N: 3, C: 5, H: 1, W: 1 },
  { N: 2, C: 3, H: 5, W: 7 },
  // More elements per plane than threads per workgroup (64): every thread sums several.
  { N: 1, C: 2, H: 9, W: 11 },
  { N: rng.int(1, 3), C: rng.int(1, 6), H: rng.int(1, 8), W: rng.int(1, 8) },
];

describe('globalAvgPool', () => {
  it.each(shapes)('forward and backward (plain and accumulating) match float64 on %o', async (shape) => {
    const n = size(shape);
    const x = rng.f32(n);
    const dy = rng.f32(shape.N * shape.C);
    const prior = rng.f32(n);
    const [ys, dx, dxAcc] = [poisoned(ctx, shape.N * shape.C), poisoned(ctx, n), upload(ctx, prior)];
    await runOnGpu(ctx, (rec) => {
      globalAvgPool(rec, { x: upload(ctx, x), y: ys }, shape);
      globalAvgPoolBackward(rec, { dy: upload(ctx, dy), dx }, shape);
      globalAvgPoolBackward(rec, { dy: upload(ctx, dy), dx: dxAcc }, shape, true);
    });
    expectClose(await download(ctx, ys, shape.N * shape.C), globalAvgPoolRef(x, shape), { label: 'y' });
    const dxRef = globalAvgPoolBackwardRef(dy, shape);
    expectClose(await download(ctx, dx, n), dxRef, { label: 'dx' });
    expectClose(
      await download(ctx, dxAcc, n),
      dxRef.map((v, i) => v + (prior[i] as number)),
      { label: 'dx accumulate' },
    );
  });

  it('backward reference matches finite differences of the forward reference', () => {
    const shape = { N: 2, C: 2, H: 3, W: 2 };
    const x = Float64Array.from(rng.f32(size(shape)));
    const dy = Float64Array.from(rng.f32(4));
    const loss = (v: Float64Array) => globalAvgPoolRef(v, shape).reduce((s, y, i) => s + y * (dy[i] as number), 0);
    expectClose(globalAvgPoolBackwardRef(dy, shape), finiteDifferences(loss, x), {
      rtol: 1e-6,
      label: 'global avg pool finite differences',
    });
  });

  it('rejects bad input with a message naming the function and the problem', () => {
    const rec = new Recorder(ctx, 'bad input'); // validation throws before anything is recorded
    const shape = { N: 2, C: 3, H: 2, W: 2 };
    expect(() => globalAvgPool(rec, { x: poisoned(ctx, 24), y: poisoned(ctx, 5) }, shape)).toThrow(
      /globalAvgPool: operand 'y' holds 5 elements .* needs 6/,
    );
    expect(() => globalAvgPool(rec, { x: poisoned(ctx, 23), y: poisoned(ctx, 6) }, shape)).toThrow(/globalAvgPool: operand 'x' holds 23/);
    expect(() => globalAvgPool(rec, { x: poisoned(ctx, 24), y: poisoned(ctx, 6) }, { ...shape, H: 0 })).toThrow(/globalAvgPool: H = 0/);
    expect(() => globalAvgPoolBackward(rec, { dy: poisoned(ctx, 6), dx: poisoned(ctx, 20) }, shape)).toThrow(
      /globalAvgPoolBackward: operand 'dx' holds 20/,
    );
  });
});
