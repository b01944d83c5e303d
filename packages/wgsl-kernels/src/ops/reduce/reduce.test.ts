import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { subSlice } from '../../kernel/slice.js';
import { download, expectClose, poisoned, Rng, runOnGpu, testContext, upload, uploadU32 } from '../../testing/index.js';
import { accuracyCount } from './accuracy.js';
import { globalNorm, globalNormPartialCount } from './global-norm.js';
import { accuracyCountRef, globalNormRef, sumRef } from './reduce.reference.js';
import { sumAll } from './sum.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(77);
// Lengths around the workgroup size (256) and long ones, where the tree reduction matters.
const LENGTHS = [1, 7, 256, 257, 4099, 70001];

describe('sumAll', () => {
  it.each(LENGTHS)('sum and mean of %i values match float64', async (n) => {
    // Values in [-0.5, 1.5): the sum stays far from zero, so a relative comparison is meaningful.
    const x = rng.f32(n, -0.5, 1.5);
    const out = poisoned(ctx, 4);
    const xs = upload(ctx, x);
    await runOnGpu(ctx, (rec) => {
      sumAll(rec, { x: xs, out }, n, { outIndex: 1 });
      sumAll(rec, { x: xs, out }, n, { outIndex: 3, mean: true });
    });
    const got = await download(ctx, out);
    const s = sumRef(x);
    expectClose([got[1] as number, got[3] as number], [s, s / n], { label: `sum of ${n}` });
    expect(Number.isNaN(got[0]) && Number.isNaN(got[2])).toBe(true); // other slots untouched
  });

  it('accumulates into the output slot', async () => {
    const x = rng.f32(999, -0.5, 1.5);
    const out = upload(ctx, [2.5]);
    await runOnGpu(ctx, (rec) => sumAll(rec, { x: upload(ctx, x), out }, 999, { accumulate: true }));
    expectClose(await download(ctx, out, 1), [2.5 + sumRef(x)], { label: 'sum accumulate' });
  });

  it('reduces only the first n values of a longer slice', async () => {
    const x = rng.f32(600, 0, 1);
    const out = poisoned(ctx, 1);
    await runOnGpu(ctx, (rec) => sumAll(rec, { x: upload(ctx, x), out }, 300));
    expectClose(await download(ctx, out, 1), [sumRef(x, 300)], { label: 'prefix sum' });
  });
});

describe('globalNorm', () => {
  it('matches float64 over tensors in separate buffers and slices of one buffer', async () => {
    const sizes = [1, 300, 5000, 70001];
    const data = sizes.map((n) => rng.f32(n));
    const tensors = data.map((d) => upload(ctx, d));
    // Two tensors packed in one pool buffer at an aligned offset; the second is given with an explicit count.
    // The last 3 floats are padding that must not count.
    const poolValues = rng.f32(64 + 77 + 3);
    const pool = upload(ctx, poolValues);
    const packed = [subSlice(pool, 0, 64 * 4), { slice: subSlice(pool, 256, 77 * 4 + 12), count: 77 }];
    const all = [...tensors, ...packed];
    const counts = [...sizes, 64, 77];
    const partials = poisoned(ctx, globalNormPartialCount(counts));
    const out = poisoned(ctx, 4);
    await runOnGpu(ctx, (rec) => globalNorm(rec, { tensors: all, partials, out }, { outIndex: 2 }));
    const expected = globalNormRef([...data, poolValues.subarray(0, 64), poolValues.subarray(64, 64 + 77)]);
    expectClose([(await download(ctx, out))[2] as number], [expected], { label: 'global norm' });
  });

  it('is exactly zero for zero gradients', async () => {
    const out = poisoned(ctx, 1);
    const partials = poisoned(ctx, globalNormPartialCount([1000]));
    await runOnGpu(ctx, (rec) => globalNorm(rec, { tensors: [upload(ctx, new Float32Array(1000))], partials, out }));
    expect((await download(ctx, out))[0]).toBe(0);
  });

  it('rejects a partials buffer that is too small, naming the sizing function', () => {
    const x = upload(ctx, rng.f32(10000));
    expect(() => globalNorm(badInputRecorder(), { tensors: [x], partials: poisoned(ctx, 3), out: poisoned(ctx, 1) })).toThrow(
      /partials holds 3 floats but these 1 tensors need 40; size it with globalNormPartialCount/,
    );
    expect(() => globalNorm(badInputRecorder(), { tensors: [], partials: poisoned(ctx, 3), out: poisoned(ctx, 1) })).toThrow(/no tensors/);
  });
});

describe('accuracyCount', () => {
  const shapes = [
    { rows: 1, classes: 10 },
    { rows: 7, classes: 1 },
    { rows: 300, classes: 3 },
    { rows: 1000, classes: 10 },
  ];
  it.each(shapes)('counts argmax == label on %o, ties to the lowest index', async ({ rows, classes }) => {
    // Small integer logits make ties common, so the tie rule is exercised.
    const logits = Float32Array.from({ length: rows * classes }, () => rng.int(0, 3));
    const labels = Uint32Array.from({ length: rows }, () => rng.int(0, classes - 1));
    const out = poisoned(ctx, 3);
    const [l, y] = [upload(ctx, logits), uploadU32(ctx, labels)];
    await runOnGpu(ctx, (rec) => {
      accuracyCount(rec, { logits: l, labels: y, out }, { rows, classes });
      accuracyCount(rec, { logits: l, labels: y, out }, { rows, classes }, { outIndex: 1, fraction: true });
    });
    const expected = accuracyCountRef(logits, labels, rows, classes);
    const got = await download(ctx, out);
    expect(got[0]).toBe(expected);
    expectClose([got[1] as number], [expected / rows], { label: 'fraction', floor: 1 });
  });

  it('counts a tie against the label when the label is not the first maximum', async () => {
    const logits = [1, 5, 5, 0, /* row 1 */ 2, 2, 2, 2, /* row 2 */ 0, 0, 0, 7, /* row 3 */ 3, 3, 1, 1];
    // Argmaxes 1, 0, 3, 0: rows 1 and 2 are right; a last-maximum rule would count rows 0, 2 and 3 instead.
    const labels = [2, 0, 3, 1];
    const out = upload(ctx, [10]);
    await runOnGpu(ctx, (rec) =>
      accuracyCount(
        rec,
        { logits: upload(ctx, logits), labels: uploadU32(ctx, labels), out },
        { rows: 4, classes: 4 },
        { accumulate: true },
      ),
    );
    expect((await download(ctx, out))[0]).toBe(12);
  });

  it('rejects too few labels and an output index outside the buffer', () => {
    const logits = upload(ctx, rng.f32(40));
    expect(() =>
      accuracyCount(badInputRecorder(), { logits, labels: uploadU32(ctx, [0, 1]), out: poisoned(ctx, 1) }, { rows: 4, classes: 10 }),
    ).toThrow(/labels hold 2 u32 but rows = 4/);
    expect(() =>
      accuracyCount(
        badInputRecorder(),
        { logits, labels: uploadU32(ctx, [0, 1, 2, 3]), out: poisoned(ctx, 1) },
        { rows: 4, classes: 10 },
        { outIndex: 1 },
      ),
    ).toThrow(/outIndex 1 is outside the output buffer of 1 floats/);
  });
});

describe('sumAll bad input', () => {
  it('names the problem', () => {
    const x = upload(ctx, rng.f32(10));
    expect(() => sumAll(badInputRecorder(), { x, out: poisoned(ctx, 1) }, 11)).toThrow(/sumAll: the input holds 10 floats but n = 11/);
    expect(() => sumAll(badInputRecorder(), { x, out: poisoned(ctx, 1) }, 0)).toThrow(/sumAll: n = 0/);
  });
});

/** A recorder for wrappers that must throw before recording anything; it is never submitted. */
function badInputRecorder(): Recorder {
  return new Recorder(ctx, 'bad input');
}
