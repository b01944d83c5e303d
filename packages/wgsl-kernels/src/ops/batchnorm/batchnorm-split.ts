/**
 * Batch norm on a GPU with few channels and long ones: the split path. The single-workgroup kernels
 * (batchnorm.ts, batchnorm-backward.ts) reduce a channel in one workgroup, which is right on a CPU adapter and for
 * short channels, but an ENAS child layer has 20–80 channels of 160·32·32 = 163,840 values: 20–80 workgroups
 * for a 132-multiprocessor GPU, each streaming its channel alone (the backward three times). Here each channel is
 * cut into `splits` chunks (split-reduction.ts plans them), so C·splits workgroups share the work:
 *
 *   forward    partial moments   workgroup (c, z): the chunk's mean and Σ(x − mean)², two passes over the chunk
 *              combine           one invocation per channel merges the chunks' moments (Chan et al.: the squared
 *                                deviations of the chunk means are added, nothing is subtracted, so no
 *                                cancellation), writes μ, 1/sqrt(σ² + ε) and the running averages
 *              apply             the elementwise normalisation of batchnorm.ts, unchanged
 *   backward   partial sums      workgroup (c, z): the chunk's (Σ dy, Σ dy·(x − μ))
 *              sum_partials      the chunks added in a fixed order (split-reduction.ts)
 *              apply             elementwise dx; the first element of each channel also writes dγ and dβ
 *
 * Three dispatches where the single-workgroup path has two (forward) or one (backward): taken only where the
 * plan splits, which it does on GPUs (CPU adapters gain nothing from more workgroups).
 */
import type { GpuContext } from '../../device/context.js';
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import { alignUp, type BufferSlice, subSlice } from '../../kernel/slice.js';
import { planSplits, type SplitPlan, sumPartials, workspaceFor } from '../conv/split-reduction.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from '../reduce/workgroup-sum.js';
import { type BatchNormShape, CHANNEL_ELEMENT_WGSL, storeStatisticsWgsl } from './batchnorm-checks.js';

/** How a channel's N·H·W values are cut: `splits` chunks of `chunk` values (the last may be shorter). */
export function batchNormSplitPlan(ctx: GpuContext, shape: BatchNormShape, forced?: number): SplitPlan {
  const perChannel = shape.N * shape.H * shape.W;
  return planSplits(ctx, {
    length: perChannel,
    // Two floats per channel and chunk: (mean, M2) forward, (Σ dy, Σ dy·(x − μ)) backward.
    outputs: 2 * shape.C,
    outputWorkgroups: shape.C,
    // A chunk should keep a 256-thread workgroup busy for a while: at least 16 values per thread.
    minChunk: 16 * REDUCE_WG,
    // No bound for f32's sake: each workgroup sums through a tree (reduce/workgroup-sum.ts).
    maxChunk: perChannel,
    align: 1,
    forced,
  });
}

const partialUniforms = { N: 'u32', C: 'u32', HW: 'u32', chunk: 'u32' } as const;

/** The chunk of workgroup (c, z): values [first, end) of channel c. */
const CHUNK_WGSL = /* wgsl */ `
${CHANNEL_ELEMENT_WGSL}
fn chunkEnd(first: u32) -> u32 { return min(first + u.chunk, u.N * u.HW); }`;

export const batchNormPartialMomentsKernel = defineKernel({
  name: 'batch_norm_partial_moments',
  bindings: { x: read(), partials: readWrite() },
  uniforms: partialUniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: () => /* wgsl */ `
${workgroupSumWgsl('workgroupSum')}
${CHUNK_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let z = wid.y;
  let first = z * u.chunk;
  let end = chunkEnd(first);
  let n = f32(end - first);
  var s = 0.0;
  for (var j = first + lid; j < end; j = j + WG_X) {
    s = s + x[channelElement(c, j)];
  }
  let mean = workgroupSum(lid, s) / n;
  var q = 0.0;
  for (var j = first + lid; j < end; j = j + WG_X) {
    let d = x[channelElement(c, j)] - mean;
    q = fma(d, d, q);
  }
  let m2 = workgroupSum(lid, q);
  if (lid == 0u) {
    // Layout [splits, 2C]: chunk z's (mean, M2) of channel c at 2(z·C + c).
    partials[2u * (z * u.C + c)] = mean;
    partials[2u * (z * u.C + c) + 1u] = m2;
  }
}`,
});

const combineUniforms = { N: 'u32', C: 'u32', HW: 'u32', chunk: 'u32', splits: 'u32', epsilon: 'f32', decay: 'f32' } as const;

const combineWgsl = (running: boolean) => /* wgsl */ `
${storeStatisticsWgsl(running)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= u.C) { return; }
  let count = u.N * u.HW;
  var mean = 0.0;
  for (var z = 0u; z < u.splits; z = z + 1u) {
    let n = min(u.chunk, count - z * u.chunk);
    mean = fma(f32(n), partials[2u * (z * u.C + c)], mean);
  }
  mean = mean / f32(count);
  var m2 = 0.0;
  for (var z = 0u; z < u.splits; z = z + 1u) {
    let n = min(u.chunk, count - z * u.chunk);
    let d = partials[2u * (z * u.C + c)] - mean;
    m2 = m2 + partials[2u * (z * u.C + c) + 1u] + f32(n) * d * d;
  }
  storeStatistics(c, mean, m2 / f32(count), count);
}`;

export const batchNormCombineMomentsKernel = defineKernel({
  name: 'batch_norm_combine_moments',
  bindings: { partials: read(), saveMean: readWrite(), saveInvStd: readWrite() },
  uniforms: combineUniforms,
  workgroupSize: [64, 1, 1],
  wgsl: () => combineWgsl(false),
});

export const batchNormCombineMomentsRunningKernel = defineKernel({
  name: 'batch_norm_combine_moments_running',
  bindings: { partials: read(), saveMean: readWrite(), saveInvStd: readWrite(), runningMean: readWrite(), runningVar: readWrite() },
  uniforms: combineUniforms,
  workgroupSize: [64, 1, 1],
  wgsl: () => combineWgsl(true),
});

/** Batch statistics (and running averages) of x in plan.splits chunks per channel: two dispatches. */
export function batchNormSplitStats(
  rec: Recorder,
  t: { x: BufferSlice; saveMean: BufferSlice; saveInvStd: BufferSlice; runningMean?: BufferSlice; runningVar?: BufferSlice },
  shape: BatchNormShape,
  plan: SplitPlan,
  options: { epsilon: number; decay: number },
): void {
  const partials = workspaceFor(rec, 'batchNormTrain', plan, undefined) as BufferSlice;
  const { N, C } = shape;
  const HW = shape.H * shape.W;
  batchNormPartialMomentsKernel.dispatch(rec, {
    bind: { x: t.x, partials },
    uniforms: { N, C, HW, chunk: plan.chunk },
    grid: [C, plan.splits],
  });
  const uniforms = { N, C, HW, chunk: plan.chunk, splits: plan.splits, ...options };
  const stats = { partials, saveMean: t.saveMean, saveInvStd: t.saveInvStd };
  if (t.runningMean && t.runningVar) {
    batchNormCombineMomentsRunningKernel.dispatch(rec, {
      bind: { ...stats, runningMean: t.runningMean, runningVar: t.runningVar },
      uniforms,
      grid: [Math.ceil(C / 64)],
    });
  } else {
    batchNormCombineMomentsKernel.dispatch(rec, { bind: stats, uniforms, grid: [Math.ceil(C / 64)] });
  }
}

export const batchNormBackwardPartialSumsKernel = defineKernel({
  name: 'batch_norm_backward_partial_sums',
  bindings: { x: read(), dy: read(), mean: read(), partials: readWrite() },
  uniforms: partialUniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('vec2<f32>'),
  wgsl: () => /* wgsl */ `
${workgroupSumWgsl('workgroupSum', 'vec2<f32>')}
${CHUNK_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let z = wid.y;
  let first = z * u.chunk;
  let end = chunkEnd(first);
  let mu = mean[c];
  var acc = vec2<f32>(0.0, 0.0);
  for (var j = first + lid; j < end; j = j + WG_X) {
    let e = channelElement(c, j);
    let g = dy[e];
    acc = acc + vec2<f32>(g, g * (x[e] - mu));
  }
  let sums = workgroupSum(lid, acc);
  if (lid == 0u) {
    // Layout [splits, 2C], as sum_partials adds it: chunk z's (Σ dy, Σ dy·(x − μ)) of channel c at 2(z·C + c).
    partials[2u * (z * u.C + c)] = sums.x;
    partials[2u * (z * u.C + c) + 1u] = sums.y;
  }
}`,
});

export interface BatchNormSplitBackwardConfig {
  readonly mode: 'training' | 'inference';
  readonly accumulate: boolean;
  readonly accumulateParams: boolean;
}

const applyBackwardWgsl = (c: BatchNormSplitBackwardConfig, affine: boolean) => {
  const training = c.mode === 'training';
  const store = (target: string, value: string, accumulate: boolean) =>
    accumulate ? `${target} = ${target} + ${value};` : `${target} = ${value};`;
  return /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.total) { return; }
  let c = (i / u.HW) % u.C;
  let invStd = ${training ? 'stat[c]' : 'inverseSqrt(stat[c] + u.epsilon)'};
  let k = ${affine ? 'gamma[c] * invStd' : 'invStd'};
  ${training || affine ? '// (Σ dy, Σ dy·x̂) of the channel\n  let s = vec2<f32>(sums[2u * c], sums[2u * c + 1u] * invStd);' : ''}
  ${
    affine
      ? `if (i == c * u.HW) {
    // The channel's first element (batch 0, pixel 0): one invocation per channel writes its parameter gradients.
    ${store('dgamma[c]', 's.y', c.accumulateParams)}
    ${store('dbeta[c]', 's.x', c.accumulateParams)}
  }`
      : ''
  }
  ${
    training
      ? `let n = f32(u.total / u.C);
  let xhat = (x[i] - mean[c]) * invStd;
  let r = k * (dy[i] - s.x / n - xhat * (s.y / n));`
      : 'let r = k * dy[i];'
  }
  ${store('dx[i]', 'r', c.accumulate)}
}`;
};

const applyUniforms = { total: 'u32', C: 'u32', HW: 'u32', epsilon: 'f32' } as const;
const APPLY_WG = 256;

export const batchNormBackwardApplyKernel = defineKernel({
  name: 'batch_norm_backward_apply',
  bindings: { x: read(), dy: read(), mean: read(), stat: read(), sums: read(), dx: readWrite() },
  uniforms: applyUniforms,
  workgroupSize: [APPLY_WG, 1, 1],
  wgsl: (c: BatchNormSplitBackwardConfig) => applyBackwardWgsl(c, false),
});

export const batchNormBackwardApplyAffineKernel = defineKernel({
  name: 'batch_norm_backward_apply_affine',
  bindings: {
    x: read(),
    dy: read(),
    mean: read(),
    stat: read(),
    sums: read(),
    gamma: read(),
    dx: readWrite(),
    dgamma: readWrite(),
    dbeta: readWrite(),
  },
  uniforms: applyUniforms,
  workgroupSize: [APPLY_WG, 1, 1],
  wgsl: (c: BatchNormSplitBackwardConfig) => applyBackwardWgsl(c, true),
});

/** The backward of batchNormTrain / batchNormInference in chunks: partial sums, their total, elementwise dx. */
export function batchNormSplitBackward(
  rec: Recorder,
  t: {
    x: BufferSlice;
    dy: BufferSlice;
    dx: BufferSlice;
    mean: BufferSlice;
    stat: BufferSlice;
    gamma?: BufferSlice;
    dgamma?: BufferSlice;
    dbeta?: BufferSlice;
  },
  shape: BatchNormShape,
  plan: SplitPlan,
  config: BatchNormSplitBackwardConfig,
  epsilon: number,
): void {
  const { N, C } = shape;
  const HW = shape.H * shape.W;
  const total = N * C * HW;
  let sums = unusedBinding(rec.ctx);
  // Inference without γ needs no sums: dx = dy/sqrt(running_var + ε) is the whole backward.
  if (config.mode === 'training' || t.gamma) {
    // One workspace: the partials [splits, 2C], then (at a bindable offset) their totals [2C].
    const alignment = rec.ctx.limits.minStorageBufferOffsetAlignment;
    const totalsAt = alignUp(plan.workspaceFloats * 4, alignment);
    const space = workspaceFor(rec, 'batchNormBackward', { ...plan, workspaceFloats: totalsAt / 4 + 2 * C }, undefined) as BufferSlice;
    const partials = subSlice(space, 0, plan.workspaceFloats * 4);
    sums = subSlice(space, totalsAt, 2 * C * 4);
    batchNormBackwardPartialSumsKernel.dispatch(rec, {
      bind: { x: t.x, dy: t.dy, mean: t.mean, partials },
      uniforms: { N, C, HW, chunk: plan.chunk },
      grid: [C, plan.splits],
    });
    sumPartials(rec, partials, sums, 2 * C, plan.splits, false);
  }
  const args = { config, uniforms: { total, C, HW, epsilon }, grid: grid1d(rec.ctx, total, APPLY_WG) };
  const plain = { x: t.x, dy: t.dy, mean: t.mean, stat: t.stat, sums, dx: t.dx };
  if (t.gamma && t.dgamma && t.dbeta) {
    batchNormBackwardApplyAffineKernel.dispatch(rec, { ...args, bind: { ...plain, gamma: t.gamma, dgamma: t.dgamma, dbeta: t.dbeta } });
  } else {
    batchNormBackwardApplyKernel.dispatch(rec, { ...args, bind: plain });
  }
}
