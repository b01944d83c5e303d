import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { arenaOf } from './arena-for-tests.js';
import {
  dropout,
  dropoutBackward,
  dropoutBroadcast,
  dropPath,
  dropPathBackward,
  variationalDropout,
  variationalDropoutBackward,
} from './dropout.js';
import { dropoutBroadcastRef, dropoutRef, dropPathRef, variationalDropoutRef } from './random.reference.js';
import { createRngState, rngStateWords } from './rng-state.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(31337);

describe('dropout', () => {
  it.each([1, 7, 258, 1031])('forward and backward match the reference on %i elements', async (n) => {
    const seed = rng.int(0, 2 ** 31);
    const stream = rng.int(0, 100);
    const keep = rng.pick([0.5, 0.75, 0.9]);
    const state = rngStateWords(seed, 3);
    const r = createRngState(ctx, seed, 3);
    const x = rng.f32(n);
    const dy = rng.f32(n);
    const y = poisoned(ctx, n);
    const dx = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => {
      dropout(rec, { rng: r, x: upload(ctx, x), y }, n, { keep, stream });
      dropoutBackward(rec, { rng: r, dy: upload(ctx, dy), dx }, n, { keep, stream });
    });
    expectClose(await download(ctx, y, n), dropoutRef(x, state, stream, keep), { label: 'dropout forward' });
    expectClose(await download(ctx, dx, n), dropoutRef(dy, state, stream, keep), { label: 'dropout backward' });
  });

  it('backward accumulates, and the mask is the forward mask', async () => {
    const n = 300;
    const keep = 0.6;
    const r = createRngState(ctx, 5);
    const state = rngStateWords(5);
    const ones = new Float32Array(n).fill(1);
    const dy = rng.f32(n);
    const prior = rng.f32(n);
    const y = poisoned(ctx, n);
    const dx = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => {
      dropout(rec, { rng: r, x: upload(ctx, ones), y }, n, { keep, stream: 2 });
      dropoutBackward(rec, { rng: r, dy: upload(ctx, dy), dx }, n, { keep, stream: 2, accumulate: true });
    });
    const mask = await download(ctx, y, n);
    expectClose(
      await download(ctx, dx, n),
      Float64Array.from(dy, (g, i) => (prior[i] as number) + g * (mask[i] as number)),
      { label: 'dropout backward accumulate' },
    );
    expect(Array.from(mask).every((m) => m === 0 || m === Math.fround(1 / keep))).toBe(true);
    expectClose(mask, dropoutRef(ones, state, 2, keep), { label: 'mask' });
  });

  it('kept fraction is within 5 standard deviations of keep on 2^16 elements', async () => {
    const n = 1 << 16;
    const r = createRngState(ctx, 123456789);
    for (const keep of [0.25, 0.9]) {
      const y = poisoned(ctx, n);
      await runOnGpu(ctx, (rec) => dropout(rec, { rng: r, x: upload(ctx, new Float32Array(n).fill(1)), y }, n, { keep, stream: 11 }));
      const kept = (await download(ctx, y, n)).reduce((s, v) => s + (v !== 0 ? 1 : 0), 0) / n;
      // Binomial: sd = sqrt(keep (1 − keep) / n) ≈ 0.0017 at keep 0.25; the bound is 5 sd.
      expect(Math.abs(kept - keep)).toBeLessThan(5 * Math.sqrt((keep * (1 - keep)) / n));
    }
  });

  it('keep = 1 is the identity; a dropped element is 0 even for an infinite input', async () => {
    const x = Float32Array.of(1, -2, Number.POSITIVE_INFINITY, 4, 5, 6, 7, 8);
    const r = createRngState(ctx, 1);
    const y = poisoned(ctx, x.length);
    await runOnGpu(ctx, (rec) => dropout(rec, { rng: r, x: upload(ctx, x), y }, x.length, { keep: 1, stream: 0 }));
    expect(Array.from(await download(ctx, y, x.length))).toEqual(Array.from(x));
    // Find a stream whose first word drops element 2 at keep 0.5, then check the infinity became 0.
    const state = rngStateWords(1);
    let stream = 0;
    while (dropoutRef([1, 1, 1], state, stream, 0.5)[2] !== 0) stream++;
    await runOnGpu(ctx, (rec) => dropout(rec, { rng: r, x: upload(ctx, x), y }, x.length, { keep: 0.5, stream }));
    expect((await download(ctx, y, x.length))[2]).toBe(0);
  });

  it('backward reference is the derivative of the forward reference (finite differences)', () => {
    const state = rngStateWords(99);
    const x = Float64Array.from(rng.f32(12));
    const dy = Float64Array.from(rng.f32(12));
    const loss = (v: Float64Array) => dropoutRef(v, state, 4, 0.7).reduce((s, yi, i) => s + yi * (dy[i] as number), 0);
    expectClose(dropoutRef(dy, state, 4, 0.7), finiteDifferences(loss, x), { rtol: 1e-6, label: 'dropout fd' });
  });
});

describe('variational dropout', () => {
  it.each([
    { T: 1, B: 1, H: 5 },
    { T: 4, B: 3, H: 7 },
    { T: 35, B: 2, H: 10 },
  ])('forward, backward (accumulating) and one mask over time on %o', async (s) => {
    const n = s.T * s.B * s.H;
    const keep = 0.65;
    const r = createRngState(ctx, 2024, 10);
    const state = rngStateWords(2024, 10);
    const x = rng.f32(n);
    const dy = rng.f32(n);
    const prior = rng.f32(n);
    const y = poisoned(ctx, n);
    const dx = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => {
      variationalDropout(rec, { rng: r, x: upload(ctx, x), y }, s, { keep, stream: 7 });
      variationalDropoutBackward(rec, { rng: r, dy: upload(ctx, dy), dx }, s, { keep, stream: 7, accumulate: true });
    });
    const got = await download(ctx, y, n);
    expectClose(got, variationalDropoutRef(x, state, 7, s, keep), { label: 'variational forward' });
    const back = variationalDropoutRef(dy, state, 7, s, keep);
    expectClose(
      await download(ctx, dx, n),
      back.map((v, i) => v + (prior[i] as number)),
      { label: 'variational backward accumulate' },
    );
    // The same (b, h) is dropped at every time step.
    const bh = s.B * s.H;
    for (let i = bh; i < n; i++) expect(got[i] === 0).toBe(got[i % bh] === 0);
  });
});

describe('drop-path', () => {
  it.each([
    { N: 1, C: 1, H: 1, W: 1 },
    { N: 5, C: 3, H: 3, W: 3 },
    { N: 9, C: 2, H: 5, W: 1 },
  ])('forward and backward on %o', async (s) => {
    const per = s.C * s.H * s.W;
    const n = s.N * per;
    const keep = 0.6;
    const r = createRngState(ctx, 77);
    const state = rngStateWords(77);
    const x = rng.f32(n);
    const dy = rng.f32(n);
    const y = poisoned(ctx, n);
    const dx = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => {
      dropPath(rec, { rng: r, x: upload(ctx, x), y }, s, { keep, stream: 1 });
      dropPathBackward(rec, { rng: r, dy: upload(ctx, dy), dx }, s, { keep, stream: 1 });
    });
    const got = await download(ctx, y, n);
    expectClose(got, dropPathRef(x, state, 1, s, keep), { label: 'drop-path forward' });
    expectClose(await download(ctx, dx, n), dropPathRef(dy, state, 1, s, keep), { label: 'drop-path backward' });
    for (let i = 0; i < n; i++) expect(got[i] === 0).toBe(got[Math.floor(i / per) * per] === 0);
  });

  it('drops whole samples at rate 1 − keep (5 sd bound over 4096 samples)', async () => {
    const s = { N: 4096, C: 1, H: 1, W: 2 };
    const n = s.N * 2;
    const keep = 0.6;
    const y = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) =>
      dropPath(rec, { rng: createRngState(ctx, 8), x: upload(ctx, new Float32Array(n).fill(1)), y }, s, { keep, stream: 0 }),
    );
    const got = await download(ctx, y, n);
    let kept = 0;
    for (let i = 0; i < s.N; i++) kept += got[2 * i] !== 0 ? 1 : 0;
    expect(Math.abs(kept / s.N - keep)).toBeLessThan(5 * Math.sqrt((keep * (1 - keep)) / s.N));
  });
});

describe('dropoutBroadcast (rows of a matrix: embedding row dropout)', () => {
  it('drops whole rows of a [V, D] matrix', async () => {
    const view = { outer: 1, maskSize: 13, inner: 6 };
    const n = 78;
    const x = rng.f32(n);
    const y = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) =>
      dropoutBroadcast(rec, { rng: createRngState(ctx, 3), x: upload(ctx, x), y }, view, { keep: 0.5, stream: 9 }),
    );
    expectClose(await download(ctx, y, n), dropoutBroadcastRef(x, rngStateWords(3), 9, view, 0.5), { label: 'row dropout' });
  });
});

describe('dropout on slices of one arena buffer', () => {
  it('forward and backward with the RNG state, inputs and outputs in one buffer', async () => {
    const n = 77;
    const x = rng.f32(n);
    const dy = rng.f32(n);
    const state = rngStateWords(12, 4);
    const a = arenaOf(ctx, { rng: state, x, y: new Float32Array(n).fill(Number.NaN), dy, dx: new Float32Array(n).fill(Number.NaN) });
    const s = a.slices;
    await runOnGpu(ctx, (rec) => {
      dropout(rec, { rng: s.rng, x: s.x, y: s.y }, n, { keep: 0.7, stream: 2 });
      dropoutBackward(rec, { rng: s.rng, dy: s.dy, dx: s.dx }, n, { keep: 0.7, stream: 2 });
    });
    expectClose(await a.readF32('y'), dropoutRef(x, state, 2, 0.7), { label: 'arena dropout' });
    expectClose(await a.readF32('dx'), dropoutRef(dy, state, 2, 0.7), { label: 'arena dropout backward' });
  });
});

describe('dropout bad input', () => {
  it('names the function and the problem', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const r = createRngState(ctx, 1);
    const x = upload(ctx, new Float32Array(10));
    const y = upload(ctx, new Float32Array(10));
    expect(() => dropout(rec, { rng: r, x, y: x }, 10, { keep: 0.5, stream: 0 })).toThrow(
      /dropout: x and y overlap in buffer '.*'; in place is not supported/,
    );
    expect(() => dropout(rec, { rng: r, x, y }, 10, { keep: 0, stream: 0 })).toThrow(
      /dropout: keep = 0; the keep probability must be in \(0, 1\]/,
    );
    expect(() => dropout(rec, { rng: r, x, y }, 10, { keep: 1.5, stream: 0 })).toThrow(/keep = 1.5/);
    expect(() => dropout(rec, { rng: r, x, y: x }, 11, { keep: 0.5, stream: 0 })).toThrow(
      /dropout: x holds 10 floats but shape \[11\] needs 11/,
    );
    expect(() => dropPath(rec, { rng: r, x, y: x }, { N: 2, C: 0, H: 1, W: 1 }, { keep: 0.5, stream: 0 })).toThrow(/dropPath: C = 0/);
    expect(() => variationalDropoutBackward(rec, { rng: r, dy: x, dx: x }, { T: 2, B: 2, H: 3 }, { keep: 0.5, stream: 0 })).toThrow(
      /variationalDropoutBackward: dy holds 10 floats but shape \[T=2, B=2, H=3\] needs 12/,
    );
    expect(() => dropout(rec, { rng: r, x, y }, 10, { keep: 0.5, stream: 1.5 })).toThrow(/dropout: stream = 1.5/);
  });
});
