/**
 * Parity cases of src/ops/loss: softmax cross-entropy (per-row loss, its mean, and the fused gradient, written or
 * accumulated; the loss-only kernel without a gradient), log-softmax and its backward. Rows of K ≤ 64 classes run
 * 64-thread workgroups, longer rows 256: both sizes appear.
 */
import { logSoftmax, logSoftmaxBackward } from '../../../src/ops/loss/log-softmax.js';
import { logSoftmaxBackwardRef, logSoftmaxRef, softmaxCrossEntropyRef } from '../../../src/ops/loss/loss.reference.js';
import { type LossShape, softmaxCrossEntropy } from '../../../src/ops/loss/softmax-cross-entropy.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

// CIFAR's 10 classes; a vocabulary-like row of 300 (more than one pass of 256 threads).
const CLASSES: LossShape = { B: 7, K: 10 };
const VOCAB: LossShape = { B: 3, K: 300 };

const text = (s: LossShape) => `B ${s.B} K ${s.K}`;

function crossEntropyCase(s: LossShape, o: { gradient: boolean; gradScale?: number; accumulate?: boolean; arena?: boolean }) {
  const scale = o.gradScale ?? 1 / s.B;
  return parityCase({
    name:
      `softmaxCrossEntropy ${text(s)}${o.gradient ? ' with gradient' : ' loss only'}` +
      `${o.gradScale ? ` scale ${o.gradScale}` : ''}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'loss',
    arena: o.arena,
    inputs: (rng) => ({
      logits: rng.f32(s.B * s.K, -4, 4),
      labels: Uint32Array.from({ length: s.B }, () => rng.int(0, s.K - 1)),
      prior: rng.f32(s.B * s.K),
    }),
    outputs: ({ prior }) => ({
      rowLoss: { count: s.B },
      meanLoss: { count: 1 },
      dLogits: o.accumulate || !o.gradient ? { initial: prior } : { count: s.B * s.K },
    }),
    record: (rec, t) =>
      softmaxCrossEntropy(
        rec,
        { logits: t.logits, labels: t.labels, rowLoss: t.rowLoss, meanLoss: t.meanLoss, dLogits: o.gradient ? t.dLogits : undefined },
        s,
        { gradScale: o.gradScale, accumulate: o.accumulate },
      ),
    reference: ({ logits, labels, prior }) => {
      const r = softmaxCrossEntropyRef(logits, labels, s, scale);
      // Without a gradient, dLogits is not bound and keeps its contents.
      const dLogits = !o.gradient ? prior : o.accumulate ? plusPrior(r.dLogits, prior) : r.dLogits;
      return { rowLoss: r.rowLoss, meanLoss: [r.meanLoss], dLogits };
    },
  });
}

function logSoftmaxCase(s: LossShape, arena = false) {
  return parityCase({
    name: `logSoftmax ${text(s)}${arena ? ' (arena)' : ''}`,
    family: 'loss',
    arena,
    // Wide logits: large differences from the row maximum.
    inputs: (rng) => ({ x: rng.f32(s.B * s.K, -20, 20) }),
    outputs: () => ({ y: { count: s.B * s.K } }),
    record: (rec, t) => logSoftmax(rec, { x: t.x, y: t.y }, s),
    reference: ({ x }) => ({ y: logSoftmaxRef(x, s) }),
  });
}

/** y is any log-probability-like value (drawn, not computed: see parity-case.ts); the backward reads exp(y). */
function logSoftmaxBackwardCase(s: LossShape, o: { accumulate?: boolean; arena?: boolean } = {}) {
  return parityCase({
    name: `logSoftmaxBackward ${text(s)}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'loss',
    arena: o.arena,
    inputs: (rng) => ({ y: rng.f32(s.B * s.K, -6, 0), dy: rng.f32(s.B * s.K), prior: rng.f32(s.B * s.K) }),
    outputs: ({ prior }) => ({ dx: o.accumulate ? { initial: prior } : { count: s.B * s.K } }),
    record: (rec, t) => logSoftmaxBackward(rec, { y: t.y, dy: t.dy, dx: t.dx }, s, { accumulate: o.accumulate }),
    reference: ({ y, dy, prior }) => {
      const dx = logSoftmaxBackwardRef(y, dy, s);
      return { dx: o.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

export const lossCases: ParityCase[] = [
  crossEntropyCase(CLASSES, { gradient: true }),
  crossEntropyCase(CLASSES, { gradient: true, gradScale: 0.5, accumulate: true, arena: true }),
  crossEntropyCase(VOCAB, { gradient: true }),
  crossEntropyCase(VOCAB, { gradient: false }),
  logSoftmaxCase(CLASSES),
  logSoftmaxCase(VOCAB, true),
  logSoftmaxBackwardCase(CLASSES),
  logSoftmaxBackwardCase(VOCAB, { accumulate: true, arena: true }),
];
