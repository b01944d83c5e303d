import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, poisoned, runOnGpu, testContext, upload } from '../../testing/index.js';
import { uniformFillRef } from './random.reference.js';
import { uniformFill } from './random-fill.js';
import { createRngState, rngStateWords } from './rng-state.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('uniformFill', () => {
  it.each([
    [1, 0, 1],
    [37, -0.1, 0.1],
    [1029, 2, 5],
  ])('matches the CPU twin on %i elements in [%f, %f)', async (n, lo, hi) => {
    const y = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => uniformFill(rec, { rng: createRngState(ctx, 4242, 1), y }, n, { lo, hi, stream: 3 }));
    const got = await download(ctx, y, n);
    expectClose(got, uniformFillRef(rngStateWords(4242, 1), 3, n, lo, hi), { rtol: 1e-6, label: 'uniform fill' });
    expect(got.every((v) => v >= lo && v <= hi)).toBe(true);
  });

  it('has the mean, variance and histogram of U[0, 1) on 2^16 draws (5 sd bounds)', async () => {
    const n = 1 << 16;
    const y = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => uniformFill(rec, { rng: createRngState(ctx, 1), y }, n, { stream: 0 }));
    const got = await download(ctx, y, n);
    let mean = 0;
    for (const v of got) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of got) variance += (v - mean) ** 2;
    variance /= n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Var of the sample variance of U(0,1) = (1/80 − 1/144) / n.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    const bins = new Array(16).fill(0);
    for (const v of got) bins[Math.floor(v * 16)] += 1;
    const p = 1 / 16;
    for (const count of bins) expect(Math.abs(count / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const r = createRngState(ctx, 1);
    const y = upload(ctx, new Float32Array(4));
    expect(() => uniformFill(rec, { rng: r, y }, 4, { lo: 1, hi: 0, stream: 0 })).toThrow(/uniformFill: range \[1, 0\)/);
    expect(() => uniformFill(rec, { rng: r, y }, 0, { stream: 0 })).toThrow(/uniformFill: n = 0/);
    expect(() => uniformFill(rec, { rng: r, y }, 8, { stream: 0 })).toThrow(/uniformFill: y holds 4 floats but n = 8/);
  });
});
