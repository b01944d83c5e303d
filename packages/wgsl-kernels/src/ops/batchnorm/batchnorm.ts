/**
 * Batch normalisation over NCHW, forward (Ioffe & Szegedy 2015), per channel c over its N·H·W values:
 *
 *   training   μ = mean(x),  σ² = mean((x − μ)²) (biased),  y = γ·(x − μ)/sqrt(σ² + ε) + β
 *              saves μ and 1/sqrt(σ² + ε) for the backward; updates the running averages on the GPU:
 *              running_mean ← decay·running_mean + (1 − decay)·μ
 *              running_var  ← decay·running_var  + (1 − decay)·σ²·n/(n − 1)
 *   inference  y = γ·(x − running_mean)/sqrt(running_var + ε) + β
 *
 * γ and β are optional (no affine: γ = 1, β = 0). ENAS (OFF image_ops.py `batch_norm`) uses decay 0.9 and
 * tf.nn.fused_batch_norm, whose running-variance input is the UNBIASED batch variance: TF's FusedBatchNorm kernel
 * scales the biased variance by rest_size/(rest_size − 1), with rest_size − 1 clamped to 1 (fused_batch_norm_op.cc,
 * "Bessel's correction"), while normalising with the biased one. We do the same, so running statistics match TF's.
 * Two deliberate differences from OFF, both confined to the first steps or below f32 noise: OFF's
 * assign_moving_average zero-debiases (TF1's default zero_debias=True; the average is divided by 1 − decay^t),
 * which changes the running values only while 0.9^t is not negligible (≈ the first 50 steps); and TF raises ε to
 * at least 1.001e-5 for cuDNN, we use ε as given.
 *
 * Statistics: one workgroup per channel, two passes over the channel (the mean, then the mean squared deviation),
 * each a strided per-invocation sum followed by a tree (see reduce/workgroup-sum.ts). Two passes rather than
 * E[x²] − μ², which cancels catastrophically when |μ| ≫ σ. The normalisation itself is a separate elementwise
 * dispatch over all N·C·H·W values, so only the reduction is limited to C workgroups; on GPUs, long channels
 * are reduced in chunks instead (batchnorm-split.ts), so that C·chunks workgroups share them.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from '../reduce/workgroup-sum.js';
import {
  type BatchNormShape,
  CHANNEL_ELEMENT_WGSL,
  checkBatchNormShape,
  checkEpsilon,
  checkFloats,
  checkNoOverlap,
  checkPair,
  storeStatisticsWgsl,
} from './batchnorm-checks.js';
import { batchNormSplitPlan, batchNormSplitStats } from './batchnorm-split.js';

/** ENAS's values (OFF image_ops.py; TF's fused batch norm). */
export const BATCH_NORM_DEFAULTS = { epsilon: 1e-5, decay: 0.9 } as const;

const statsUniforms = { N: 'u32', C: 'u32', HW: 'u32', epsilon: 'f32', decay: 'f32' } as const;

const statsWgsl = (running: boolean) => /* wgsl */ `
${workgroupSumWgsl('workgroupSum')}
${CHANNEL_ELEMENT_WGSL}
${storeStatisticsWgsl(running)}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let count = u.N * u.HW;
  var s = 0.0;
  for (var j = lid; j < count; j = j + WG_X) {
    s = s + x[channelElement(c, j)];
  }
  let mean = workgroupSum(lid, s) / f32(count);
  // Second pass over the same (cached) channel: deviations from the mean, never E[x²] − mean².
  var q = 0.0;
  for (var j = lid; j < count; j = j + WG_X) {
    let d = x[channelElement(c, j)] - mean;
    q = fma(d, d, q);
  }
  let variance = workgroupSum(lid, q) / f32(count);
  if (lid == 0u) { storeStatistics(c, mean, variance, count); }
}`;

/** Batch statistics only (no running averages to update). */
export const batchNormStatsKernel = defineKernel({
  name: 'batch_norm_stats',
  bindings: { x: read(), saveMean: readWrite(), saveInvStd: readWrite() },
  uniforms: statsUniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: () => statsWgsl(false),
});

/** Batch statistics and the running-average update. A separate kernel, not a flag: WebGPU has no optional binding. */
export const batchNormStatsRunningKernel = defineKernel({
  name: 'batch_norm_stats_running',
  bindings: { x: read(), saveMean: readWrite(), saveInvStd: readWrite(), runningMean: readWrite(), runningVar: readWrite() },
  uniforms: statsUniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: () => statsWgsl(true),
});

/** `stat` is the saved 1/sqrt(σ² + ε) (training) or the running variance (inference). */
export interface BatchNormApplyConfig {
  readonly stat: 'invStd' | 'variance';
}

const applyUniforms = { total: 'u32', C: 'u32', HW: 'u32', epsilon: 'f32' } as const;
const APPLY_WG = 256;

const applyWgsl = (c: BatchNormApplyConfig, affine: boolean) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.total) { return; }
  let c = (i / u.HW) % u.C;
  let invStd = ${c.stat === 'invStd' ? 'stat[c]' : 'inverseSqrt(stat[c] + u.epsilon)'};
  let xhat = (x[i] - mean[c]) * invStd;
  y[i] = ${affine ? 'fma(gamma[c], xhat, beta[c])' : 'xhat'};
}`;

export const batchNormApplyKernel = defineKernel({
  name: 'batch_norm_apply',
  bindings: { x: read(), mean: read(), stat: read(), y: readWrite() },
  uniforms: applyUniforms,
  workgroupSize: [APPLY_WG, 1, 1],
  wgsl: (c: BatchNormApplyConfig) => applyWgsl(c, false),
});

export const batchNormApplyAffineKernel = defineKernel({
  name: 'batch_norm_apply_affine',
  bindings: { x: read(), mean: read(), stat: read(), gamma: read(), beta: read(), y: readWrite() },
  uniforms: applyUniforms,
  workgroupSize: [APPLY_WG, 1, 1],
  wgsl: (c: BatchNormApplyConfig) => applyWgsl(c, true),
});

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  readonly epsilon?: number;
  /** Running-average decay (default 0.9): running ← decay·running + (1 − decay)·batch. */
  readonly decay?: number;
  /**
   * Chunks per channel for the statistics (tests and benchmarks); otherwise batchNormSplitPlan decides: 1 on CPU
   * adapters (one workgroup per channel), more on GPUs for long channels (batchnorm-split.ts).
   */
  readonly splits?: number;
}

export interface BatchNormTrainOperands {
  /** [N, C, H, W]. */
  readonly x: BufferSlice;
  /** [N, C, H, W], written; must not overlap x. */
  readonly y: BufferSlice;
  /** [C], written: the batch mean, for the backward. */
  readonly saveMean: BufferSlice;
  /** [C], written: 1/sqrt(biased batch variance + ε), for the backward. */
  readonly saveInvStd: BufferSlice;
  /** [C] scale and shift; both or neither. */
  readonly gamma?: BufferSlice;
  readonly beta?: BufferSlice;
  /** [C] running averages, updated in place; both or neither. */
  readonly runningMean?: BufferSlice;
  readonly runningVar?: BufferSlice;
}

/**
 * Training-mode batch norm: batch statistics, normalisation, optional running-average update. Two dispatches, or
 * three when the statistics are split (batchnorm-split.ts).
 */
export function batchNormTrain(rec: Recorder, t: BatchNormTrainOperands, shape: BatchNormShape, options: BatchNormOptions = {}): void {
  const fn = 'batchNormTrain';
  const { total } = checkBatchNormShape(fn, rec.ctx, shape);
  const epsilon = options.epsilon ?? BATCH_NORM_DEFAULTS.epsilon;
  const decay = options.decay ?? BATCH_NORM_DEFAULTS.decay;
  checkEpsilon(fn, epsilon);
  if (!(decay >= 0 && decay <= 1)) throw new Error(`${fn}: decay = ${decay}; it must lie in [0, 1] (ENAS uses 0.9)`);
  const affine = checkPair(fn, 'gamma', t.gamma, 'beta', t.beta);
  const running = checkPair(fn, 'runningMean', t.runningMean, 'runningVar', t.runningVar);
  checkFloats(fn, 'x', t.x, total, shape);
  checkFloats(fn, 'y', t.y, total, shape);
  const perChannel: [string, BufferSlice | undefined][] = [
    ['saveMean', t.saveMean],
    ['saveInvStd', t.saveInvStd],
    ['gamma', t.gamma],
    ['beta', t.beta],
    ['runningMean', t.runningMean],
    ['runningVar', t.runningVar],
  ];
  for (const [name, slice] of perChannel) if (slice) checkFloats(fn, name, slice, shape.C, shape);
  checkNoOverlap(fn, { ...t }, ['y', 'saveMean', 'saveInvStd', 'runningMean', 'runningVar']);

  const { N, C } = shape;
  const HW = shape.H * shape.W;
  const stats = { x: t.x, saveMean: t.saveMean, saveInvStd: t.saveInvStd };
  const statsArgs = { uniforms: { N, C, HW, epsilon, decay }, grid: [C] as const };
  const plan = batchNormSplitPlan(rec.ctx, shape, options.splits);
  if (plan.splits > 1) {
    batchNormSplitStats(rec, { ...stats, runningMean: t.runningMean, runningVar: t.runningVar }, shape, plan, { epsilon, decay });
  } else if (running) {
    batchNormStatsRunningKernel.dispatch(rec, {
      ...statsArgs,
      bind: { ...stats, runningMean: t.runningMean as BufferSlice, runningVar: t.runningVar as BufferSlice },
    });
  } else {
    batchNormStatsKernel.dispatch(rec, { ...statsArgs, bind: stats });
  }
  apply(
    rec,
    { x: t.x, y: t.y, mean: t.saveMean, stat: t.saveInvStd, gamma: t.gamma, beta: t.beta },
    shape,
    total,
    epsilon,
    'invStd',
    affine,
  );
}

export interface BatchNormInferenceOperands {
  readonly x: BufferSlice;
  readonly y: BufferSlice;
  readonly runningMean: BufferSlice;
  readonly runningVar: BufferSlice;
  readonly gamma?: BufferSlice;
  readonly beta?: BufferSlice;
}

/** Inference-mode batch norm with the running statistics. One elementwise dispatch. */
export function batchNormInference(
  rec: Recorder,
  t: BatchNormInferenceOperands,
  shape: BatchNormShape,
  options: Pick<BatchNormOptions, 'epsilon'> = {},
): void {
  const fn = 'batchNormInference';
  const { total } = checkBatchNormShape(fn, rec.ctx, shape);
  const epsilon = options.epsilon ?? BATCH_NORM_DEFAULTS.epsilon;
  checkEpsilon(fn, epsilon);
  const affine = checkPair(fn, 'gamma', t.gamma, 'beta', t.beta);
  checkFloats(fn, 'x', t.x, total, shape);
  checkFloats(fn, 'y', t.y, total, shape);
  for (const [name, slice] of Object.entries({ runningMean: t.runningMean, runningVar: t.runningVar, gamma: t.gamma, beta: t.beta })) {
    if (slice) checkFloats(fn, name, slice, shape.C, shape);
  }
  checkNoOverlap(fn, { ...t }, ['y']);
  apply(
    rec,
    { x: t.x, y: t.y, mean: t.runningMean, stat: t.runningVar, gamma: t.gamma, beta: t.beta },
    shape,
    total,
    epsilon,
    'variance',
    affine,
  );
}

function apply(
  rec: Recorder,
  b: { x: BufferSlice; y: BufferSlice; mean: BufferSlice; stat: BufferSlice; gamma?: BufferSlice; beta?: BufferSlice },
  shape: BatchNormShape,
  total: number,
  epsilon: number,
  stat: BatchNormApplyConfig['stat'],
  affine: boolean,
): void {
  const args = {
    config: { stat },
    uniforms: { total, C: shape.C, HW: shape.H * shape.W, epsilon },
    grid: grid1d(rec.ctx, total, APPLY_WG),
  };
  const plain = { x: b.x, mean: b.mean, stat: b.stat, y: b.y };
  if (affine) {
    batchNormApplyAffineKernel.dispatch(rec, { ...args, bind: { ...plain, gamma: b.gamma as BufferSlice, beta: b.beta as BufferSlice } });
  } else {
    batchNormApplyKernel.dispatch(rec, { ...args, bind: plain });
  }
}
