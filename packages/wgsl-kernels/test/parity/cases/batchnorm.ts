/**
 * Parity cases of src/ops/batchnorm: training mode (batch statistics, with and without γ/β, with the running
 * averages updated in place), inference mode (running statistics, with and without γ/β), and the backward of both
 * modes, affine or not, writing or accumulating.
 */
import { batchNormInference, batchNormTrain } from '../../../src/ops/batchnorm/batchnorm.js';
import { batchNormBackwardRef, batchNormInferenceRef, batchNormTrainRef } from '../../../src/ops/batchnorm/batchnorm.reference.js';
import { batchNormBackward } from '../../../src/ops/batchnorm/batchnorm-backward.js';
import type { BatchNormShape } from '../../../src/ops/batchnorm/batchnorm-checks.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

const EPSILON = 1e-5;
const DECAY = 0.9;

const text = (s: BatchNormShape) => `${s.N}x${s.C}x${s.H}x${s.W}`;
const count = (s: BatchNormShape) => s.N * s.C * s.H * s.W;

interface Extra {
  readonly affine: boolean;
  readonly accumulate?: boolean;
  readonly arena?: boolean;
  /** Forced chunks per channel: the split path of batchnorm-split.ts. */
  readonly splits?: number;
}

const suffix = (e: Extra) =>
  `${e.affine ? ' affine' : ''}${e.accumulate ? ' accumulate' : ''}${e.splits ? ` ${e.splits} chunks` : ''}${e.arena ? ' (arena)' : ''}`;

function trainCase(s: BatchNormShape, e: Extra & { running: boolean }) {
  return parityCase({
    name: `batchNormTrain ${text(s)}${e.running ? ' running averages' : ''}${suffix(e)}`,
    family: 'batchnorm',
    arena: e.arena,
    // Offset and scaled inputs, so the mean is not ~0 and the variance not ~1/3.
    inputs: (rng) => ({
      x: rng.f32(count(s), -1, 3),
      gamma: rng.f32(s.C, 0.5, 1.5),
      beta: rng.f32(s.C),
      runningMean0: rng.f32(s.C),
      runningVar0: rng.f32(s.C, 0.5, 2),
    }),
    outputs: ({ runningMean0, runningVar0 }) => ({
      y: { count: count(s) },
      saveMean: { count: s.C },
      saveInvStd: { count: s.C },
      runningMean: { initial: runningMean0 },
      runningVar: { initial: runningVar0 },
    }),
    record: (rec, t) =>
      batchNormTrain(
        rec,
        {
          x: t.x,
          y: t.y,
          saveMean: t.saveMean,
          saveInvStd: t.saveInvStd,
          gamma: e.affine ? t.gamma : undefined,
          beta: e.affine ? t.beta : undefined,
          runningMean: e.running ? t.runningMean : undefined,
          runningVar: e.running ? t.runningVar : undefined,
        },
        s,
        { epsilon: EPSILON, decay: DECAY, splits: e.splits },
      ),
    reference: ({ x, gamma, beta, runningMean0, runningVar0 }) => {
      const r = batchNormTrainRef(x, s, {
        epsilon: EPSILON,
        decay: DECAY,
        gamma: e.affine ? gamma : undefined,
        beta: e.affine ? beta : undefined,
        runningMean: runningMean0,
        runningVar: runningVar0,
      });
      // Without running averages the kernel must leave those buffers as they were.
      return {
        y: r.y,
        saveMean: r.mean,
        saveInvStd: r.invStd,
        runningMean: e.running ? (r.runningMean as Float64Array) : runningMean0,
        runningVar: e.running ? (r.runningVar as Float64Array) : runningVar0,
      };
    },
  });
}

function inferenceCase(s: BatchNormShape, e: Extra) {
  return parityCase({
    name: `batchNormInference ${text(s)}${suffix(e)}`,
    family: 'batchnorm',
    arena: e.arena,
    inputs: (rng) => ({
      x: rng.f32(count(s), -1, 3),
      runningMean: rng.f32(s.C),
      runningVar: rng.f32(s.C, 0.5, 2),
      gamma: rng.f32(s.C, 0.5, 1.5),
      beta: rng.f32(s.C),
    }),
    outputs: () => ({ y: { count: count(s) } }),
    record: (rec, t) =>
      batchNormInference(
        rec,
        {
          x: t.x,
          y: t.y,
          runningMean: t.runningMean,
          runningVar: t.runningVar,
          gamma: e.affine ? t.gamma : undefined,
          beta: e.affine ? t.beta : undefined,
        },
        s,
        { epsilon: EPSILON },
      ),
    reference: ({ x, runningMean, runningVar, gamma, beta }) => ({
      y: batchNormInferenceRef(x, s, {
        runningMean,
        runningVar,
        gamma: e.affine ? gamma : undefined,
        beta: e.affine ? beta : undefined,
        epsilon: EPSILON,
      }),
    }),
  });
}

/**
 * The batch statistics the training forward saves, computed here in float64 (+, −, ×, ÷ and sqrt only: correctly
 * rounded, so both runtimes build the same f32 inputs) and rounded to f32 as the forward would store them.
 */
function savedStatistics(x: Float32Array, s: BatchNormShape): { mean: Float32Array; invStd: Float32Array } {
  const hw = s.H * s.W;
  const n = s.N * hw;
  const mean = new Float32Array(s.C);
  const invStd = new Float32Array(s.C);
  for (let c = 0; c < s.C; c++) {
    let sum = 0;
    for (let b = 0; b < s.N; b++) for (let k = 0; k < hw; k++) sum += x[(b * s.C + c) * hw + k] as number;
    const m = sum / n;
    let sq = 0;
    for (let b = 0; b < s.N; b++) {
      for (let k = 0; k < hw; k++) {
        const d = (x[(b * s.C + c) * hw + k] as number) - m;
        sq += d * d;
      }
    }
    mean[c] = m;
    invStd[c] = 1 / Math.sqrt(sq / n + EPSILON);
  }
  return { mean, invStd };
}

function backwardCase(s: BatchNormShape, mode: 'training' | 'inference', e: Extra) {
  return parityCase({
    name: `batchNormBackward ${mode} ${text(s)}${suffix(e)}`,
    family: 'batchnorm',
    arena: e.arena,
    inputs: (rng) => {
      const x = rng.f32(count(s), -1, 3);
      const saved = savedStatistics(x, s);
      return {
        x,
        dy: rng.f32(count(s)),
        saveMean: saved.mean,
        saveInvStd: saved.invStd,
        runningMean: rng.f32(s.C),
        runningVar: rng.f32(s.C, 0.5, 2),
        gamma: rng.f32(s.C, 0.5, 1.5),
        priorDx: rng.f32(count(s)),
        priorDgamma: rng.f32(s.C),
        priorDbeta: rng.f32(s.C),
      };
    },
    // Without γ no parameter gradient is written: those buffers start with contents that must survive.
    outputs: ({ priorDx, priorDgamma, priorDbeta }) => ({
      dx: e.accumulate ? { initial: priorDx } : { count: count(s) },
      dgamma: e.accumulate || !e.affine ? { initial: priorDgamma } : { count: s.C },
      dbeta: e.accumulate || !e.affine ? { initial: priorDbeta } : { count: s.C },
    }),
    record: (rec, t) => {
      const stats =
        mode === 'training' ? { saveMean: t.saveMean, saveInvStd: t.saveInvStd } : { runningMean: t.runningMean, runningVar: t.runningVar };
      const params = e.affine ? { gamma: t.gamma, dgamma: t.dgamma, dbeta: t.dbeta } : {};
      batchNormBackward(rec, { x: t.x, dy: t.dy, dx: t.dx, ...stats, ...params }, s, {
        mode,
        epsilon: EPSILON,
        accumulate: e.accumulate,
        splits: e.splits,
      });
    },
    reference: ({ x, dy, runningMean, runningVar, gamma, priorDx, priorDgamma, priorDbeta }) => {
      const g = batchNormBackwardRef(x, dy, s, { mode, epsilon: EPSILON, runningMean, runningVar, gamma: e.affine ? gamma : undefined });
      const param = (grad: Float64Array, prior: ArrayLike<number>) => (!e.affine ? prior : e.accumulate ? plusPrior(grad, prior) : grad);
      const params = { dgamma: param(g.dgamma, priorDgamma), dbeta: param(g.dbeta, priorDbeta) };
      return { dx: e.accumulate ? plusPrior(g.dx, priorDx) : g.dx, ...params };
    },
  });
}

// C = 3 workgroups; N·H·W = 2·9·8 = 144 values per channel: more than two passes of the 64-thread reduction.
const SHAPE: BatchNormShape = { N: 2, C: 3, H: 9, W: 8 };
// 1×1 spatial: the smallest statistics (n = 2 per channel, Bessel factor 2) for the forward. Not for the training
// backward: with n = 2, x̂ = ±1 whatever x is, so dx is 0 up to ε and the comparison would measure rounding noise.
const TINY: BatchNormShape = { N: 2, C: 5, H: 1, W: 1 };
const TINY3: BatchNormShape = { N: 3, C: 5, H: 1, W: 1 };

export const batchNormCases: ParityCase[] = [
  trainCase(SHAPE, { affine: false, running: false }),
  trainCase(SHAPE, { affine: true, running: true, arena: true }),
  trainCase(TINY, { affine: true, running: true }),
  inferenceCase(SHAPE, { affine: false }),
  inferenceCase(SHAPE, { affine: true, arena: true }),
  backwardCase(SHAPE, 'training', { affine: false }),
  backwardCase(SHAPE, 'training', { affine: true, accumulate: true, arena: true }),
  backwardCase(TINY3, 'training', { affine: true }),
  backwardCase(SHAPE, 'inference', { affine: true }),
  backwardCase(SHAPE, 'inference', { affine: false, accumulate: true }),
  // The split path (batchnorm-split.ts): 144 values per channel in 5 chunks, the last one ragged.
  trainCase(SHAPE, { affine: true, running: true, splits: 5 }),
  trainCase(SHAPE, { affine: false, running: false, splits: 5, arena: true }),
  backwardCase(SHAPE, 'training', { affine: true, accumulate: true, splits: 5, arena: true }),
  backwardCase(SHAPE, 'training', { affine: false, splits: 5 }),
  backwardCase(SHAPE, 'inference', { affine: true, splits: 5 }),
];
