/**
 * Adam (Kingma & Ba 2015) in TensorFlow's formulation (training_ops.cc ApplyAdam, tf.train.AdamOptimizer), elementwise
 * over n parameters, at step t ≥ 1 (the first update uses t = 1):
 *
 *   g = s·grad + wd·w
 *   m ← m + (g − m)·(1 − β1)          v ← v + (g² − v)·(1 − β2)
 *   w ← w − α·m / (sqrt(v) + ε),      α = lr·sqrt(1 − β2^t) / (1 − β1^t)
 *
 * ε is added outside the bias correction ("epsilon hat" in the paper's notation), as TF does. ENAS's controller uses
 * β1 = 0, ε = 1e-3 (OFF utils.py get_train_ops, optim_algo "adam"); TF's defaults are β1 0.9, β2 0.999, ε 1e-8.
 * lr and t are read from `hyper` every step (see hyper.ts).
 */
import { read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { dispatchElementwise } from '../elementwise/elementwise-kernel.js';
import { checkCoefficient, checkUpdate, HYPER, type HyperSlots } from './hyper.js';
import { scaledGradientWgsl } from './sgd.js';
import { defineUpdate } from './update-kernel.js';

/**
 * WGSL: 1 − β^t for an integer t, accurate to a few ulp even where β^t is close to 1 (β2 = 0.999 in the first
 * steps), where 1 − pow(β, t) would cancel: pow is exp2(t·log2 β), and log2 near 1 only has an absolute error bound
 * in WGSL, worth 1e-4 relative of the result. Square-and-multiply instead on the pair (p, q) = (β^k, 1 − β^k),
 * combining with 1 − ab = (1 − a) + a·(1 − b), a sum of two non-negative terms, so nothing cancels.
 */
export const ONE_MINUS_POW_WGSL = /* wgsl */ `
fn oneMinusPow(beta: f32, t: u32) -> f32 {
  var p = 1.0;             // β^k of the bits of t consumed so far
  var q = 0.0;             // 1 − β^k
  var bp = beta;           // β^(2^i)
  var bq = 1.0 - beta;     // 1 − β^(2^i)
  for (var e = t; e != 0u; e = e >> 1u) {
    if ((e & 1u) != 0u) {
      q = fma(p, bq, q);
      p = p * bp;
    }
    bq = fma(bp, bq, bq);  // 1 − b² = (1 − b) + b·(1 − b)
    bp = bp * bp;
  }
  return q;
}`;

export const adamUpdateKernel = defineUpdate({
  name: 'adam_update',
  bindings: { param: readWrite(), grad: read(), m: readWrite(), v: readWrite(), hyper: read() },
  uniforms: {
    n: 'u32',
    lrIndex: 'u32',
    stepIndex: 'u32',
    scaleIndex: 'u32',
    beta1: 'f32',
    beta2: 'f32',
    epsilon: 'f32',
    weightDecay: 'f32',
  },
  perElement: ['param', 'grad', 'm', 'v'],
  helpers: ONE_MINUS_POW_WGSL,
  body: (c: { scaled: boolean }, T) => /* wgsl */ `
  let t = u32(hyper[u.stepIndex]);
  let alpha = hyper[u.lrIndex] * sqrt(oneMinusPow(u.beta2, t)) / oneMinusPow(u.beta1, t);
  let w = param[i];
  let g = ${scaledGradientWgsl(c.scaled, T)};
  let m0 = m[i];
  let v0 = v[i];
  let m1 = fma(g - m0, ${T}(1.0 - u.beta1), m0);
  let v1 = fma(g * g - v0, ${T}(1.0 - u.beta2), v0);
  m[i] = m1;
  v[i] = v1;
  param[i] = w - alpha * m1 / (sqrt(v1) + ${T}(u.epsilon));`,
});

export interface AdamOperands {
  /** n parameters, updated in place. */
  readonly param: BufferSlice;
  /** n gradients. */
  readonly grad: BufferSlice;
  /** n first and second moments, updated in place; start at 0. */
  readonly m: BufferSlice;
  readonly v: BufferSlice;
  /** The per-step values (see hyper.ts); read only. */
  readonly hyper: BufferSlice;
}

export interface AdamOptions {
  /** Default 0.9 (ENAS controller: 0). */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8 (ENAS controller: 1e-3). */
  readonly epsilon?: number;
  /** L2 weight decay added to the gradient as wd·w (default 0). */
  readonly weightDecay?: number;
  /** Where lr, t (and the optional gradient scale) are in `hyper`; default { lr: HYPER.lr, step: HYPER.step }. */
  readonly slots?: HyperSlots;
}

/** One Adam step (TF's formulation) over n parameters; hyper[slots.step] holds t ≥ 1. */
export function adamUpdate(rec: Recorder, t: AdamOperands, n: number, options: AdamOptions = {}): void {
  const fn = 'adamUpdate';
  const slots = options.slots ?? { lr: HYPER.lr, step: HYPER.step };
  if (slots.step === undefined) throw new Error(`${fn}: slots.step is missing; Adam reads its step count t from hyper`);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = options;
  checkUpdate(fn, n, { param: t.param, grad: t.grad, m: t.m, v: t.v }, ['param', 'm', 'v'], t.hyper, {
    lr: slots.lr,
    step: slots.step,
    gradScale: slots.gradScale,
  });
  checkCoefficient(fn, 'beta1', beta1, 0, 1, true);
  checkCoefficient(fn, 'beta2', beta2, 0, 1, true);
  if (!(epsilon > 0)) throw new Error(`${fn}: epsilon = ${epsilon}; it must be positive`);
  checkCoefficient(fn, 'weightDecay', weightDecay, 0, Number.MAX_VALUE);
  dispatchElementwise(rec, adamUpdateKernel, { scaled: slots.gradScale !== undefined }, t, {
    n,
    lrIndex: slots.lr,
    stepIndex: slots.step,
    scaleIndex: slots.gradScale ?? 0,
    beta1,
    beta2,
    epsilon,
    weightDecay,
  });
}
