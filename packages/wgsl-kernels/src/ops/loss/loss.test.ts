import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import {
  dot,
  download,
  expectClose,
  finiteDifferences,
  poisoned,
  Rng,
  runOnGpu,
  testContext,
  upload,
  uploadU32,
} from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { logSoftmax, logSoftmaxBackward } from './log-softmax.js';
import { logSoftmaxBackwardRef, logSoftmaxRef, softmaxCrossEntropyRef } from './loss.reference.js';
import { type LossShape, meanOfRows, softmaxCrossEntropy } from './softmax-cross-entropy.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(1010);
// One class, a partial small workgroup, rows longer than one 256-wide pass, a vocabulary-like row.
const SHAPES: LossShape[] = [
  { B: 1, K: 1 },
  { B: 3, K: 10 },
  { B: 5, K: 300 },
  { B: 2, K: 1031 },
  { B: rng.int(1, 20), K: rng.int(2, 70) },
];
const labelsFor = (s: LossShape) => Uint32Array.from({ length: s.B }, () => rng.int(0, s.K - 1));

describe('softmaxCrossEntropy', () => {
  it.each(SHAPES)('row loss, mean loss and gradient match float64 on %o', async (s) => {
    // Logits far from 0 exercise the max subtraction: exp(±60) alone would overflow or vanish in f32 sums.
    const logits = rng.f32(s.B * s.K, -60, 60);
    const labels = labelsFor(s);
    const rowLoss = poisoned(ctx, s.B);
    const meanLoss = poisoned(ctx, 1);
    const dLogits = poisoned(ctx, s.B * s.K);
    await runOnGpu(ctx, (rec) =>
      softmaxCrossEntropy(rec, { logits: upload(ctx, logits), labels: uploadU32(ctx, labels), rowLoss, meanLoss, dLogits }, s),
    );
    const ref = softmaxCrossEntropyRef(logits, labels, s);
    // Sums over up to 1031 terms: 1e-4 still holds (tree reduction), on the tensor's scale (compare.ts).
    expectClose(await download(ctx, rowLoss, s.B), ref.rowLoss, { label: 'row loss' });
    expectClose(await download(ctx, meanLoss, 1), [ref.meanLoss], { label: 'mean loss' });
    expectClose(await download(ctx, dLogits, s.B * s.K), ref.dLogits, { label: 'dLogits' });
  });

  it('accumulates the scaled gradient; the loss-only variant writes only the loss', async () => {
    const s = { B: 4, K: 33 };
    const logits = rng.f32(s.B * s.K, -3, 3);
    const labels = labelsFor(s);
    const prior = rng.f32(s.B * s.K);
    const dLogits = upload(ctx, prior);
    const rowLoss = poisoned(ctx, s.B);
    await runOnGpu(ctx, (rec) =>
      softmaxCrossEntropy(rec, { logits: upload(ctx, logits), labels: uploadU32(ctx, labels), rowLoss, dLogits }, s, {
        gradScale: 0.5,
        accumulate: true,
      }),
    );
    const ref = softmaxCrossEntropyRef(logits, labels, s, 0.5);
    expectClose(
      await download(ctx, dLogits, s.B * s.K),
      ref.dLogits.map((v, i) => v + (prior[i] as number)),
      { label: 'accumulate' },
    );
    const lossOnly = poisoned(ctx, s.B);
    await runOnGpu(ctx, (rec) =>
      softmaxCrossEntropy(rec, { logits: upload(ctx, logits), labels: uploadU32(ctx, labels), rowLoss: lossOnly }, s),
    );
    expectClose(await download(ctx, lossOnly, s.B), ref.rowLoss, { label: 'loss only' });
  });

  it('a label ≥ K makes its row NaN and leaves the others right', async () => {
    const s = { B: 3, K: 4 };
    const logits = rng.f32(12);
    const labels = Uint32Array.of(1, 4, 3);
    const rowLoss = poisoned(ctx, 3);
    const dLogits = poisoned(ctx, 12);
    await runOnGpu(ctx, (rec) =>
      softmaxCrossEntropy(rec, { logits: upload(ctx, logits), labels: uploadU32(ctx, labels), rowLoss, dLogits }, s),
    );
    const loss = await download(ctx, rowLoss, 3);
    expect(Number.isNaN(loss[1])).toBe(true);
    const ref = softmaxCrossEntropyRef(logits, Uint32Array.of(1, 0, 3), s);
    expectClose([loss[0] as number, loss[2] as number], [ref.rowLoss[0] as number, ref.rowLoss[2] as number], { label: 'valid rows' });
    expect(Array.from((await download(ctx, dLogits, 12)).slice(4, 8)).every(Number.isNaN)).toBe(true);
  });

  it('gradient reference is the derivative of the mean loss (finite differences)', () => {
    const s = { B: 3, K: 5 };
    const logits = Float64Array.from(rng.f32(15, -2, 2));
    const labels = Uint32Array.of(0, 4, 2);
    const ref = softmaxCrossEntropyRef(logits, labels, s);
    const loss = (z: Float64Array) => softmaxCrossEntropyRef(z, labels, s).meanLoss;
    expectClose(ref.dLogits, finiteDifferences(loss, logits), { rtol: 1e-6, label: 'cross-entropy fd' });
  });

  it('meanOfRows averages more rows than one workgroup', async () => {
    const x = rng.f32(1000);
    const mean = poisoned(ctx, 1);
    await runOnGpu(ctx, (rec) => meanOfRows(rec, { x: upload(ctx, x), mean }, 1000));
    expectClose(await download(ctx, mean, 1), [x.reduce((a, v) => a + v, 0) / 1000], { rtol: 1e-4, label: 'mean' });
  });

  it('cross-entropy and log-softmax on slices of one arena buffer', async () => {
    const s = { B: 3, K: 7 };
    const logits = rng.f32(21, -3, 3);
    const labels = labelsFor(s);
    const dy = rng.f32(21);
    const a = arenaOf(ctx, {
      logits,
      labels,
      rowLoss: new Float32Array(3).fill(Number.NaN),
      meanLoss: new Float32Array(1).fill(Number.NaN),
      dLogits: new Float32Array(21).fill(Number.NaN),
      y: new Float32Array(21).fill(Number.NaN),
      dy,
      dx: new Float32Array(21).fill(Number.NaN),
    });
    const t = a.slices;
    await runOnGpu(ctx, (rec) => {
      softmaxCrossEntropy(rec, { logits: t.logits, labels: t.labels, rowLoss: t.rowLoss, meanLoss: t.meanLoss, dLogits: t.dLogits }, s);
      logSoftmax(rec, { x: t.logits, y: t.y }, s);
      logSoftmaxBackward(rec, { y: t.y, dy: t.dy, dx: t.dx }, s);
    });
    const ref = softmaxCrossEntropyRef(logits, labels, s);
    expectClose(await a.readF32('rowLoss'), ref.rowLoss, { label: 'arena row loss' });
    expectClose(await a.readF32('meanLoss'), [ref.meanLoss], { label: 'arena mean loss' });
    expectClose(await a.readF32('dLogits'), ref.dLogits, { label: 'arena dLogits' });
    expectClose(await a.readF32('dx'), logSoftmaxBackwardRef(logSoftmaxRef(logits, s), dy, s), { label: 'arena log softmax backward' });
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const f = upload(ctx, new Float32Array(12));
    const labels = uploadU32(ctx, [0, 1]);
    expect(() => softmaxCrossEntropy(rec, { logits: f, labels, rowLoss: f }, { B: 3, K: 4 })).toThrow(
      /softmaxCrossEntropy: labels holds 2 u32 but must be \[B=3\] = 3/,
    );
    expect(() => softmaxCrossEntropy(rec, { logits: f, labels, rowLoss: f }, { B: 2, K: 7 })).toThrow(
      /softmaxCrossEntropy: logits holds 12 floats but must be \[B=2, K=7\] = 14/,
    );
    expect(() => softmaxCrossEntropy(rec, { logits: f, labels, rowLoss: f }, { B: 2, K: 0 })).toThrow(/softmaxCrossEntropy: K = 0/);
    expect(() => logSoftmaxBackward(rec, { y: f, dy: f, dx: upload(ctx, new Float32Array(6)) }, { B: 2, K: 6 })).toThrow(
      /logSoftmaxBackward: dx holds 6 floats/,
    );
  });
});

describe('logSoftmax', () => {
  it.each(SHAPES)('forward and backward (plain and accumulating) match float64 on %o', async (s) => {
    const n = s.B * s.K;
    const x = rng.f32(n, -30, 30);
    const dy = rng.f32(n);
    const y = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => logSoftmax(rec, { x: upload(ctx, x), y }, s));
    const gotY = await download(ctx, y, n);
    expectClose(gotY, logSoftmaxRef(x, s), { label: 'log softmax' });

    const yF32 = Float32Array.from(gotY);
    const expected = logSoftmaxBackwardRef(yF32, dy, s);
    const dx = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => logSoftmaxBackward(rec, { y: upload(ctx, yF32), dy: upload(ctx, dy), dx }, s));
    expectClose(await download(ctx, dx, n), expected, { label: 'log softmax backward' });

    const prior = rng.f32(n);
    const acc = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => logSoftmaxBackward(rec, { y: upload(ctx, yF32), dy: upload(ctx, dy), dx: acc }, s, { accumulate: true }));
    expectClose(
      await download(ctx, acc, n),
      expected.map((v, i) => v + (prior[i] as number)),
      { label: 'log softmax backward accumulate' },
    );
  });

  it('backward reference is the derivative of the forward reference (finite differences)', () => {
    const s = { B: 2, K: 6 };
    const x = Float64Array.from(rng.f32(12, -3, 3));
    const dy = Float64Array.from(rng.f32(12));
    const loss = (v: Float64Array) => dot(logSoftmaxRef(v, s), dy);
    expectClose(logSoftmaxBackwardRef(logSoftmaxRef(x, s), dy, s), finiteDifferences(loss, x), { rtol: 1e-6, label: 'log softmax fd' });
  });
});
