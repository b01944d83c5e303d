import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { binary, binaryKernel, broadcastScalar, fill, mulBackward, scale, scaleByScalar } from './binary.js';
import { binaryRef, mulBackwardRef } from './binary.reference.js';
import { prepareElementwise } from './elementwise-kernel.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(42);
// 4 and 1024 take the vec4 program (whole vectors, aligned operands); 1, 255 and 1031 the scalar one.
const sizes = [1, 4, 255, 1024, 1031];

describe.each(['add', 'sub', 'mul'] as const)('%s', (op) => {
  it.each(sizes)('forward and accumulate match float64 on %i elements', async (n) => {
    const a = rng.f32(n);
    const b = rng.f32(n);
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => binary(rec, op, upload(ctx, a), upload(ctx, b), ys, n));
    const expected = binaryRef(op, a, b);
    expectClose(await download(ctx, ys, n), expected, { label: op });

    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => binary(rec, op, upload(ctx, a), upload(ctx, b), acc, n, true));
    expectClose(
      await download(ctx, acc, n),
      expected.map((v, i) => v + (prior[i] as number)),
      { label: `${op} accumulate` },
    );
  });
});

describe('mul backward', () => {
  it.each(sizes)('matches float64 on %i elements', async (n) => {
    const [a, b, dy] = [rng.f32(n), rng.f32(n), rng.f32(n)];
    const da = poisoned(ctx, n);
    const db = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => mulBackward(rec, { a: upload(ctx, a), b: upload(ctx, b), dy: upload(ctx, dy), da, db }, n));
    const ref = mulBackwardRef(a, b, dy);
    expectClose(await download(ctx, da, n), ref.da, { label: 'da' });
    expectClose(await download(ctx, db, n), ref.db, { label: 'db' });
  });

  it('reference matches finite differences', () => {
    const a = Float64Array.from(rng.f32(8));
    const b = Float64Array.from(rng.f32(8));
    const dy = Float64Array.from(rng.f32(8));
    const ref = mulBackwardRef(a, b, dy);
    const lossA = (v: Float64Array) => binaryRef('mul', v, b).reduce((s, y, i) => s + y * (dy[i] as number), 0);
    const lossB = (v: Float64Array) => binaryRef('mul', a, v).reduce((s, y, i) => s + y * (dy[i] as number), 0);
    expectClose(ref.da, finiteDifferences(lossA, a), { rtol: 1e-6, label: 'da fd' });
    expectClose(ref.db, finiteDifferences(lossB, b), { rtol: 1e-6, label: 'db fd' });
  });
});

describe('scale', () => {
  it.each(sizes)('y = alpha x and y += alpha x on %i elements', async (n) => {
    const x = rng.f32(n);
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => scale(rec, upload(ctx, x), ys, n, -0.375));
    expectClose(
      await download(ctx, ys, n),
      Float64Array.from(x, (v) => -0.375 * v),
      { label: 'scale' },
    );
    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => scale(rec, upload(ctx, x), acc, n, 2.5, true));
    expectClose(
      await download(ctx, acc, n),
      Float64Array.from(x, (v, i) => (prior[i] as number) + 2.5 * v),
      { label: 'scale accumulate' },
    );
  });
});

describe('fill', () => {
  it.each(sizes)('writes the value into all %i elements', async (n) => {
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => fill(rec, ys, n, 0.25));
    expectClose(await download(ctx, ys, n), new Float64Array(n).fill(0.25), { label: 'fill' });
  });
});

describe('broadcastScalar', () => {
  it.each(sizes)('y = alpha x[0] and y += alpha x[0] on %i elements', async (n) => {
    const x = upload(ctx, [1.5, 99]);
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => broadcastScalar(rec, x, ys, n, -2));
    expectClose(await download(ctx, ys, n), new Float64Array(n).fill(-3), { label: 'broadcast' });
    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => broadcastScalar(rec, x, acc, n, 2, true));
    expectClose(
      await download(ctx, acc, n),
      Float64Array.from(prior, (v) => v + 3),
      { label: 'broadcast accumulate' },
    );
  });
});

describe('scaleByScalar', () => {
  it.each(sizes)('y = x · s[0] and y += x · s[0] on %i elements', async (n) => {
    const x = rng.f32(n);
    const s = upload(ctx, [-0.75]);
    const ys = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => scaleByScalar(rec, upload(ctx, x), s, ys, n));
    expectClose(
      await download(ctx, ys, n),
      Float64Array.from(x, (v) => -0.75 * v),
      { label: 'scaleByScalar' },
    );
    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => scaleByScalar(rec, upload(ctx, x), s, acc, n, true));
    expectClose(
      await download(ctx, acc, n),
      Float64Array.from(x, (v, i) => (prior[i] as number) - 0.75 * v),
      { label: 'accumulate' },
    );
  });
});

describe('program choice', () => {
  it('takes vec4 for whole vectors in aligned operands and scalar for the rest, with the same results', async () => {
    const n = 64;
    // Operand a sits at the device's smallest bindable offset inside a larger buffer, as arena tensors do.
    const skip = ctx.limits.minStorageBufferOffsetAlignment / 4;
    const a = rng.f32(skip + n);
    const b = rng.f32(n);
    const inner = { ...upload(ctx, a), offset: skip * 4, size: n * 4 };
    const bs = upload(ctx, b);
    const label = (count: number) =>
      prepareElementwise(ctx, binaryKernel, { op: 'add', accumulate: false }, { a: inner, b: bs, y: poisoned(ctx, n) }, { n: count }).label;
    expect(label(n)).toBe('binary_vec4');
    expect(label(n - 1)).toBe('binary');
    expect(label(n - 4)).toBe('binary_vec4');

    for (const count of [n, n - 1]) {
      const ys = poisoned(ctx, n);
      await runOnGpu(ctx, (rec) => binary(rec, 'add', inner, bs, ys, count));
      const expected = binaryRef('add', a.subarray(skip, skip + count), b.subarray(0, count));
      const got = await download(ctx, ys, n);
      expectClose(got.subarray(0, count), expected, { label: `add of ${count}` });
      // Past n nothing is written: the poison stays.
      expect(got.subarray(count).every(Number.isNaN)).toBe(true);
    }
  });
});
