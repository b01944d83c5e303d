/**
 * Gradients of batch norm, per channel over its n = N·H·W values, with x̂ = (x − μ)·s, s = 1/sqrt(σ² + ε):
 *
 *   dβ = Σ dy        dγ = Σ dy·x̂
 *   training   dx = γ·s·(dy − mean(dy) − x̂·mean(dy·x̂))     (μ and σ² depend on x: the batch terms)
 *   inference  dx = γ·s·dy                                  (running statistics are constants)
 *
 * The training formula is the derivative of the whole forward, through the batch statistics; batchnorm.test.ts
 * checks it against finite differences of the float64 forward. It is TF's FusedBatchNormGrad (fused_batch_norm_op.cc).
 *
 * One workgroup per channel: a first pass reduces (Σ dy, Σ dy·(x − μ)) as a vec2 tree, then the same workgroup
 * writes dx for the channel, so the per-channel sums never leave workgroup memory and no scratch buffer is needed.
 * The first pass is skipped when nothing needs it (inference without γ). Long channels on a GPU take the split
 * path instead (batchnorm-split.ts): partial sums over chunks, their totals, an elementwise dx.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from '../reduce/workgroup-sum.js';
import { BATCH_NORM_DEFAULTS } from './batchnorm.js';
import {
  type BatchNormShape,
  CHANNEL_ELEMENT_WGSL,
  checkBatchNormShape,
  checkEpsilon,
  checkFloats,
  checkNoOverlap,
} from './batchnorm-checks.js';
import { batchNormSplitBackward, batchNormSplitPlan } from './batchnorm-split.js';

export interface BatchNormBackwardConfig {
  readonly mode: 'training' | 'inference';
  /** dx += … instead of dx = … */
  readonly accumulate: boolean;
  /** dγ += …, dβ += … instead of =. */
  readonly accumulateParams: boolean;
}

const uniforms = { N: 'u32', C: 'u32', HW: 'u32', epsilon: 'f32' } as const;

const backwardWgsl = (c: BatchNormBackwardConfig, affine: boolean) => {
  const training = c.mode === 'training';
  const needsSums = training || affine;
  const store = (target: string, value: string, accumulate: boolean) =>
    accumulate ? `${target} = ${target} + ${value};` : `${target} = ${value};`;
  return /* wgsl */ `
${workgroupSumWgsl('workgroupSum', 'vec2<f32>')}
${CHANNEL_ELEMENT_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let count = u.N * u.HW;
  let mu = mean[c];
  let invStd = ${training ? 'stat[c]' : 'inverseSqrt(stat[c] + u.epsilon)'};
  let k = ${affine ? 'gamma[c] * invStd' : 'invStd'};
  ${
    needsSums
      ? `var acc = vec2<f32>(0.0, 0.0);
  for (var j = lid; j < count; j = j + WG_X) {
    let e = channelElement(c, j);
    let g = dy[e];
    acc = acc + vec2<f32>(g, g * (x[e] - mu));
  }
  // (Σ dy, Σ dy·x̂)
  let sums = workgroupSum(lid, acc) * vec2<f32>(1.0, invStd);`
      : ''
  }
  ${
    affine
      ? `if (lid == 0u) {
    ${store('dgamma[c]', 'sums.y', c.accumulateParams)}
    ${store('dbeta[c]', 'sums.x', c.accumulateParams)}
  }`
      : ''
  }
  ${training ? 'let meanDy = sums.x / f32(count);\n  let meanDyXhat = sums.y / f32(count);' : ''}
  for (var j = lid; j < count; j = j + WG_X) {
    let e = channelElement(c, j);
    ${training ? 'let xhat = (x[e] - mu) * invStd;\n    let r = k * (dy[e] - meanDy - xhat * meanDyXhat);' : 'let r = k * dy[e];'}
    ${store('dx[e]', 'r', c.accumulate)}
  }
}`;
};

export const batchNormBackwardKernel = defineKernel({
  name: 'batch_norm_backward',
  bindings: { x: read(), dy: read(), mean: read(), stat: read(), dx: readWrite() },
  uniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('vec2<f32>'),
  wgsl: (c: BatchNormBackwardConfig) => backwardWgsl(c, false),
});

export const batchNormBackwardAffineKernel = defineKernel({
  name: 'batch_norm_backward_affine',
  bindings: {
    x: read(),
    dy: read(),
    mean: read(),
    stat: read(),
    gamma: read(),
    dx: readWrite(),
    dgamma: readWrite(),
    dbeta: readWrite(),
  },
  uniforms,
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('vec2<f32>'),
  wgsl: (c: BatchNormBackwardConfig) => backwardWgsl(c, true),
});

export interface BatchNormBackwardOperands {
  /** The forward's input, [N, C, H, W]. */
  readonly x: BufferSlice;
  /** Gradient of the forward's output, [N, C, H, W]. */
  readonly dy: BufferSlice;
  /** Gradient of x, [N, C, H, W], written (or added to); must not overlap x or dy. */
  readonly dx: BufferSlice;
  /** mode 'training': what batchNormTrain saved, [C] each. */
  readonly saveMean?: BufferSlice;
  readonly saveInvStd?: BufferSlice;
  /** mode 'inference': the running statistics the forward used, [C] each. */
  readonly runningMean?: BufferSlice;
  readonly runningVar?: BufferSlice;
  /** Affine batch norm: γ [C], and where its gradients go, dγ and dβ [C]. All three or none. */
  readonly gamma?: BufferSlice;
  readonly dgamma?: BufferSlice;
  readonly dbeta?: BufferSlice;
}

export interface BatchNormBackwardOptions {
  /** Which forward this differentiates: batch statistics (training) or running statistics (inference). */
  readonly mode: 'training' | 'inference';
  /** The forward's ε (inference mode recomputes 1/sqrt(running_var + ε)); default 1e-5. */
  readonly epsilon?: number;
  /** dx += instead of =. */
  readonly accumulate?: boolean;
  /** dγ, dβ += instead of =; defaults to `accumulate`. */
  readonly accumulateParams?: boolean;
  /** Chunks per channel (tests and benchmarks); otherwise batchNormSplitPlan decides (see batchnorm-split.ts). */
  readonly splits?: number;
}

/** dx (and dγ, dβ when affine) of batchNormTrain (mode 'training') or batchNormInference (mode 'inference'). */
export function batchNormBackward(
  rec: Recorder,
  t: BatchNormBackwardOperands,
  shape: BatchNormShape,
  options: BatchNormBackwardOptions,
): void {
  const fn = 'batchNormBackward';
  const { total } = checkBatchNormShape(fn, rec.ctx, shape);
  const mode = options.mode;
  if (mode !== 'training' && mode !== 'inference') throw new Error(`${fn}: mode '${mode}'; pass 'training' or 'inference'`);
  const epsilon = options.epsilon ?? BATCH_NORM_DEFAULTS.epsilon;
  checkEpsilon(fn, epsilon);

  const [meanName, statName] = mode === 'training' ? ['saveMean', 'saveInvStd'] : ['runningMean', 'runningVar'];
  const mean = mode === 'training' ? t.saveMean : t.runningMean;
  const stat = mode === 'training' ? t.saveInvStd : t.runningVar;
  if (!mean || !stat) {
    throw new Error(`${fn}: mode '${mode}' needs ${meanName} and ${statName} (the statistics its forward normalised with)`);
  }
  const given = [t.gamma, t.dgamma, t.dbeta].filter((s) => s !== undefined).length;
  if (given !== 0 && given !== 3)
    throw new Error(`${fn}: an affine batch norm needs gamma, dgamma and dbeta together; got ${given} of them`);
  const affine = given === 3;

  for (const [name, slice] of Object.entries({ x: t.x, dy: t.dy, dx: t.dx })) checkFloats(fn, name, slice, total, shape);
  for (const [name, slice] of Object.entries({ [meanName]: mean, [statName]: stat, gamma: t.gamma, dgamma: t.dgamma, dbeta: t.dbeta })) {
    if (slice) checkFloats(fn, name, slice, shape.C, shape);
  }
  checkNoOverlap(fn, { x: t.x, dy: t.dy, dx: t.dx, [meanName]: mean, [statName]: stat, gamma: t.gamma, dgamma: t.dgamma, dbeta: t.dbeta }, [
    'dx',
    'dgamma',
    'dbeta',
  ]);

  const accumulate = !!options.accumulate;
  const config = { mode, accumulate, accumulateParams: options.accumulateParams ?? accumulate };
  const plan = batchNormSplitPlan(rec.ctx, shape, options.splits);
  if (plan.splits > 1) {
    batchNormSplitBackward(
      rec,
      { x: t.x, dy: t.dy, dx: t.dx, mean, stat, gamma: t.gamma, dgamma: t.dgamma, dbeta: t.dbeta },
      shape,
      plan,
      config,
      epsilon,
    );
    return;
  }
  const args = {
    config,
    uniforms: { N: shape.N, C: shape.C, HW: shape.H * shape.W, epsilon },
    grid: [shape.C] as const,
  };
  const plain = { x: t.x, dy: t.dy, mean, stat, dx: t.dx };
  if (affine) {
    batchNormBackwardAffineKernel.dispatch(rec, {
      ...args,
      bind: { ...plain, gamma: t.gamma as BufferSlice, dgamma: t.dgamma as BufferSlice, dbeta: t.dbeta as BufferSlice },
    });
  } else {
    batchNormBackwardKernel.dispatch(rec, { ...args, bind: plain });
  }
}
