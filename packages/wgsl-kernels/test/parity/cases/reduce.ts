/**
 * Parity cases of src/ops/reduce: sum and mean of a vector, the global L2 norm over several tensors (gradient
 * clipping) and the accuracy count. Each writes one element of a small output at `outIndex`; the others must keep
 * their contents.
 */
import { accuracyCount } from '../../../src/ops/reduce/accuracy.js';
import { globalNorm, globalNormPartialCount } from '../../../src/ops/reduce/global-norm.js';
import { accuracyCountRef, globalNormRef, sumRef } from '../../../src/ops/reduce/reduce.reference.js';
import { sumAll } from '../../../src/ops/reduce/sum.js';
import { type ParityCase, parityCase } from '../parity-case.js';

/** `prior` with element `index` set to `value` (or increased by it). */
function withElement(prior: ArrayLike<number>, index: number, value: number, accumulate = false): Float64Array {
  const out = Float64Array.from(prior);
  out[index] = (accumulate ? (out[index] as number) : 0) + value;
  return out;
}

function sumCase(n: number, o: { mean?: boolean; outIndex: number; accumulate?: boolean; arena?: boolean }) {
  return parityCase({
    name: `sumAll ${n}${o.mean ? ' mean' : ''} out[${o.outIndex}]${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'reduce',
    arena: o.arena,
    // Mostly positive, so the sum is not near zero by cancellation.
    inputs: (rng) => ({ x: rng.f32(n, -0.5, 1), prior: rng.f32(4) }),
    outputs: ({ prior }) => ({ out: { initial: prior } }),
    record: (rec, t) => sumAll(rec, { x: t.x, out: t.out }, n, { mean: o.mean, outIndex: o.outIndex, accumulate: o.accumulate }),
    reference: ({ x, prior }) => ({ out: withElement(prior, o.outIndex, sumRef(x) / (o.mean ? n : 1), o.accumulate) }),
  });
}

/**
 * Three gradient tensors of different sizes (one larger than a 64-thread workgroup's stride several times, one a
 * single value); the middle one is a counted prefix of a longer slice. `partials` is scratch, NaN-poisoned.
 */
const NORM_COUNTS = [1000, 37, 1] as const;
function globalNormCase(arena: boolean) {
  return parityCase({
    name: `globalNorm of [${NORM_COUNTS.join(', ')}] out[2]${arena ? ' (arena)' : ''}`,
    family: 'reduce',
    arena,
    inputs: (rng) => ({
      g0: rng.f32(NORM_COUNTS[0]),
      g1: rng.f32(NORM_COUNTS[1] + 5),
      g2: rng.f32(NORM_COUNTS[2], 2, 3),
      partials: new Float32Array(globalNormPartialCount(NORM_COUNTS)).fill(Number.NaN),
      prior: rng.f32(4),
    }),
    outputs: ({ prior }) => ({ out: { initial: prior } }),
    record: (rec, t) =>
      globalNorm(rec, { tensors: [t.g0, { slice: t.g1, count: NORM_COUNTS[1] }, t.g2], partials: t.partials, out: t.out }, { outIndex: 2 }),
    reference: ({ g0, g1, g2, prior }) => ({ out: withElement(prior, 2, globalNormRef([g0, g1.subarray(0, NORM_COUNTS[1]), g2])) }),
  });
}

/** Labels: the row's argmax for about half the rows (found by comparisons, so identical everywhere), else random. */
function accuracyCase(rows: number, classes: number, o: { fraction?: boolean; accumulate?: boolean; arena?: boolean }) {
  return parityCase({
    name: `accuracyCount ${rows}x${classes}${o.fraction ? ' fraction' : ''}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'reduce',
    arena: o.arena,
    inputs: (rng) => {
      const logits = rng.f32(rows * classes);
      const labels = Uint32Array.from({ length: rows }, (_, r) => {
        let best = 0;
        for (let k = 1; k < classes; k++) if ((logits[r * classes + k] as number) > (logits[r * classes + best] as number)) best = k;
        return rng.next() < 0.5 ? best : rng.int(0, classes - 1);
      });
      return { logits, labels, prior: rng.f32(4, 0, 10) };
    },
    outputs: ({ prior }) => ({ out: { initial: prior } }),
    record: (rec, t) => accuracyCount(rec, { logits: t.logits, labels: t.labels, out: t.out }, { rows, classes }, { ...o, outIndex: 1 }),
    reference: ({ logits, labels, prior }) => {
      const correct = accuracyCountRef(logits, labels, rows, classes);
      return { out: withElement(prior, 1, o.fraction ? correct / rows : correct, o.accumulate) };
    },
  });
}

export const reduceCases: ParityCase[] = [
  sumCase(1000, { outIndex: 0 }),
  sumCase(1, { outIndex: 3 }),
  sumCase(333, { mean: true, outIndex: 2, accumulate: true, arena: true }),
  globalNormCase(false),
  globalNormCase(true),
  // 150 rows: more than two passes of the 64-thread workgroup.
  accuracyCase(150, 10, {}),
  accuracyCase(7, 3, { fraction: true, accumulate: true, arena: true }),
];
