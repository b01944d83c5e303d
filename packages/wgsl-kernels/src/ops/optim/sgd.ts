/**
 * Stochastic gradient descent updates, elementwise over n parameters, as TensorFlow defines them
 * (training_ops.cc ApplyGradientDescent and ApplyMomentum), with g the gradient the update uses:
 *
 *   g = s·grad + wd·w           s = hyper[gradScale] (clipping; 1 without), wd = L2 weight decay
 *   plain      w ← w − lr·g                                      (tf.train.GradientDescentOptimizer; ENAS's LM)
 *   momentum   a ← μ·a + g;  w ← w − lr·a                        (tf.train.MomentumOptimizer)
 *   Nesterov   a ← μ·a + g;  w ← w − lr·(g + μ·a)                (use_nesterov=True; ENAS's child, μ = 0.9)
 *
 * lr is read from `hyper` each step. Weight decay as a gradient term: OFF adds l2_reg·Σw² to the loss
 * (utils.py get_train_ops), whose gradient is 2·l2_reg·w, so pass weightDecay = 2·l2_reg to match it. OFF adds that
 * term before clipping, so a TF global-norm clip would include it; here the scale multiplies the data gradient only
 * (ENAS's CIFAR clipping is a no-op in OFF, reference notes a.5.1, so nothing observable changes there); to clip
 * the decay term too, add it into the gradient before globalNorm and pass weightDecay 0.
 */
import { read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { dispatchElementwise } from '../elementwise/elementwise-kernel.js';
import { checkCoefficient, checkUpdate, HYPER, type HyperSlots } from './hyper.js';
import { defineUpdate, type UpdateElementType } from './update-kernel.js';

/**
 * WGSL: the gradient an update uses, scale and weight decay applied, over the element type T (needs `w`, `i`,
 * uniforms scaleIndex and weightDecay).
 */
export const scaledGradientWgsl = (scaled: boolean, T: UpdateElementType) =>
  `fma(${T}(u.weightDecay), w, ${scaled ? 'hyper[u.scaleIndex] * grad[i]' : 'grad[i]'})`;

export const sgdUpdateKernel = defineUpdate({
  name: 'sgd_update',
  bindings: { param: readWrite(), grad: read(), hyper: read() },
  uniforms: { n: 'u32', lrIndex: 'u32', scaleIndex: 'u32', weightDecay: 'f32' },
  perElement: ['param', 'grad'],
  body: (c: { scaled: boolean }, T) => /* wgsl */ `
  let w = param[i];
  let g = ${scaledGradientWgsl(c.scaled, T)};
  param[i] = w - hyper[u.lrIndex] * g;`,
});

export const sgdMomentumUpdateKernel = defineUpdate({
  name: 'sgd_momentum_update',
  bindings: { param: readWrite(), grad: read(), accum: readWrite(), hyper: read() },
  uniforms: { n: 'u32', lrIndex: 'u32', scaleIndex: 'u32', weightDecay: 'f32', momentum: 'f32' },
  perElement: ['param', 'grad', 'accum'],
  body: (c: { scaled: boolean; nesterov: boolean }, T) => /* wgsl */ `
  let w = param[i];
  let g = ${scaledGradientWgsl(c.scaled, T)};
  let a = fma(${T}(u.momentum), accum[i], g);
  accum[i] = a;
  param[i] = w - hyper[u.lrIndex] * ${c.nesterov ? `fma(${T}(u.momentum), a, g)` : 'a'};`,
});

export interface SgdOperands {
  /** n parameters, updated in place. */
  readonly param: BufferSlice;
  /** n gradients. */
  readonly grad: BufferSlice;
  /** The per-step values (see hyper.ts); read only. */
  readonly hyper: BufferSlice;
}

export interface SgdOptions {
  /** Where lr (and the optional gradient scale) are in `hyper`; default { lr: HYPER.lr }. */
  readonly slots?: HyperSlots;
  /** L2 weight decay added to the gradient as wd·w (default 0). */
  readonly weightDecay?: number;
}

/** w ← w − lr·(s·grad + wd·w). */
export function sgdUpdate(rec: Recorder, t: SgdOperands, n: number, options: SgdOptions = {}): void {
  const fn = 'sgdUpdate';
  const slots = options.slots ?? { lr: HYPER.lr };
  const weightDecay = options.weightDecay ?? 0;
  checkUpdate(fn, n, { param: t.param, grad: t.grad }, ['param'], t.hyper, { lr: slots.lr, gradScale: slots.gradScale });
  checkCoefficient(fn, 'weightDecay', weightDecay, 0, Number.MAX_VALUE);
  dispatchElementwise(rec, sgdUpdateKernel, { scaled: slots.gradScale !== undefined }, t, {
    n,
    lrIndex: slots.lr,
    scaleIndex: slots.gradScale ?? 0,
    weightDecay,
  });
}

export interface SgdMomentumOperands extends SgdOperands {
  /** n momentum accumulators (TF's "momentum" slot), updated in place; start at 0. */
  readonly accum: BufferSlice;
}

export interface SgdMomentumOptions extends SgdOptions {
  /** μ (ENAS: 0.9). */
  readonly momentum: number;
  /** TF's use_nesterov (ENAS: true). */
  readonly nesterov: boolean;
}

/** a ← μ·a + g; w ← w − lr·a, or w ← w − lr·(g + μ·a) with Nesterov; g = s·grad + wd·w. */
export function sgdMomentumUpdate(rec: Recorder, t: SgdMomentumOperands, n: number, options: SgdMomentumOptions): void {
  const fn = 'sgdMomentumUpdate';
  const slots = options.slots ?? { lr: HYPER.lr };
  const weightDecay = options.weightDecay ?? 0;
  checkUpdate(fn, n, { param: t.param, grad: t.grad, accum: t.accum }, ['param', 'accum'], t.hyper, {
    lr: slots.lr,
    gradScale: slots.gradScale,
  });
  checkCoefficient(fn, 'momentum', options.momentum, 0, 1);
  checkCoefficient(fn, 'weightDecay', weightDecay, 0, Number.MAX_VALUE);
  const config = { scaled: slots.gradScale !== undefined, nesterov: !!options.nesterov };
  dispatchElementwise(rec, sgdMomentumUpdateKernel, config, t, {
    n,
    lrIndex: slots.lr,
    scaleIndex: slots.gradScale ?? 0,
    weightDecay,
    momentum: options.momentum,
  });
}
