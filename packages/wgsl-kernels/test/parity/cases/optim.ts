/**
 * Parity cases of src/ops/optim: SGD, SGD with momentum (plain and Nesterov), Adam, each with and without the
 * clipping scale read from `hyper`, and clipScale. Parameters and slots are updated in place.
 *
 * The learning rates are large (updates as big as the parameters), so an error in the update shows at the
 * parameters' scale instead of vanishing below the tolerance; coefficients are f32 values, as the uniforms carry them.
 */
import { adamUpdate } from '../../../src/ops/optim/adam.js';
import { clipScale } from '../../../src/ops/optim/clip.js';
import { HYPER } from '../../../src/ops/optim/hyper.js';
import { adamRef, clipScaleRef, sgdMomentumRef, sgdRef } from '../../../src/ops/optim/optim.reference.js';
import { sgdMomentumUpdate, sgdUpdate } from '../../../src/ops/optim/sgd.js';
import type { Rng } from '../../../src/util/rng.js';
import { type ParityCase, parityCase } from '../parity-case.js';

const f32 = Math.fround;
// Parameter counts, neither a multiple of the 256-thread workgroup: the plain cases take the vec4 programs (a
// multiple of 4), the arena cases the scalar ones.
const countOf = (e: Extra) => (e.arena ? 1001 : 1000);
const LR = f32(0.75);
const GRAD_SCALE = f32(0.375);
const STEP = 7;

/** The hyper buffer in its default layout: lr, step t, gradient norm (unused here), gradient scale. */
const hyperOf = () => Float32Array.of(LR, STEP, Number.NaN, GRAD_SCALE);

interface Extra {
  /** Multiply gradients by hyper[HYPER.gradScale] (the clipping scale). */
  readonly scaled?: boolean;
  readonly weightDecay?: number;
  readonly arena?: boolean;
}

const suffix = (e: Extra) => `${e.scaled ? ' clip-scaled' : ''}${e.weightDecay ? ' weight decay' : ''}${e.arena ? ' (arena)' : ''}`;
const slotsOf = (e: Extra, step?: number) => ({ lr: HYPER.lr, step, gradScale: e.scaled ? HYPER.gradScale : undefined });
const stepValues = (e: Extra) => ({ lr: LR, gradScale: e.scaled ? GRAD_SCALE : 1, weightDecay: e.weightDecay ?? 0 });

const common = (rng: Rng, n: number) => ({ w0: rng.f32(n), grad: rng.f32(n), hyper: hyperOf() });

function sgdCase(e: Extra) {
  const n = countOf(e);
  return parityCase({
    name: `sgdUpdate${suffix(e)}`,
    family: 'optim',
    arena: e.arena,
    inputs: (rng) => common(rng, n),
    outputs: ({ w0 }) => ({ param: { initial: w0 } }),
    record: (rec, t) =>
      sgdUpdate(rec, { param: t.param, grad: t.grad, hyper: t.hyper }, n, { slots: slotsOf(e), weightDecay: e.weightDecay }),
    reference: ({ w0, grad }) => ({ param: sgdRef(w0, grad, stepValues(e)) }),
  });
}

function momentumCase(nesterov: boolean, e: Extra) {
  const momentum = f32(0.9);
  const n = countOf(e);
  return parityCase({
    name: `sgdMomentumUpdate${nesterov ? ' Nesterov' : ''}${suffix(e)}`,
    family: 'optim',
    arena: e.arena,
    inputs: (rng) => ({ ...common(rng, n), accum0: rng.f32(n) }),
    outputs: ({ w0, accum0 }) => ({ param: { initial: w0 }, accum: { initial: accum0 } }),
    record: (rec, t) =>
      sgdMomentumUpdate(rec, { param: t.param, grad: t.grad, accum: t.accum, hyper: t.hyper }, n, {
        momentum,
        nesterov,
        slots: slotsOf(e),
        weightDecay: e.weightDecay,
      }),
    reference: ({ w0, accum0, grad }) => sgdMomentumRef(w0, accum0, grad, { ...stepValues(e), momentum, nesterov }),
  });
}

function adamCase(label: string, o: { beta1: number; beta2: number; epsilon: number }, e: Extra) {
  const n = countOf(e);
  return parityCase({
    name: `adamUpdate ${label}${suffix(e)}`,
    family: 'optim',
    arena: e.arena,
    // Moments as after a few steps: m of either sign, v positive.
    inputs: (rng) => ({ ...common(rng, n), m0: rng.f32(n, -0.3, 0.3), v0: rng.f32(n, 0, 0.1) }),
    outputs: ({ w0, m0, v0 }) => ({ param: { initial: w0 }, m: { initial: m0 }, v: { initial: v0 } }),
    record: (rec, t) =>
      adamUpdate(rec, { param: t.param, grad: t.grad, m: t.m, v: t.v, hyper: t.hyper }, n, {
        ...o,
        slots: slotsOf(e, HYPER.step),
        weightDecay: e.weightDecay,
      }),
    reference: ({ w0, m0, v0, grad }) => adamRef(w0, m0, v0, grad, { ...stepValues(e), ...o, step: STEP }),
  });
}

/**
 * Two clips in one hyper buffer of 6 floats: a norm above maxNorm (scale < 1), and one below (scale exactly 1).
 * The lr and step slots must keep their values.
 */
const MAX_NORM = f32(5);
const clipCase = parityCase({
  name: 'clipScale above and below maxNorm (arena)',
  family: 'optim',
  arena: true,
  inputs: () => ({ hyper0: Float32Array.of(LR, STEP, f32(12.5), Number.NaN, f32(0.25), Number.NaN) }),
  outputs: ({ hyper0 }) => ({ hyper: { initial: hyper0 } }),
  record: (rec, t) => {
    clipScale(rec, t.hyper, { maxNorm: MAX_NORM, normIndex: 2, scaleIndex: 3 });
    clipScale(rec, t.hyper, { maxNorm: MAX_NORM, normIndex: 4, scaleIndex: 5 });
  },
  reference: ({ hyper0 }) => ({
    hyper: [
      LR,
      STEP,
      hyper0[2] as number,
      clipScaleRef(hyper0[2] as number, MAX_NORM),
      hyper0[4] as number,
      clipScaleRef(hyper0[4] as number, MAX_NORM),
    ],
  }),
});

export const optimCases: ParityCase[] = [
  sgdCase({}),
  sgdCase({ scaled: true, weightDecay: f32(0.25), arena: true }),
  momentumCase(false, {}),
  momentumCase(true, { scaled: true, weightDecay: f32(0.125), arena: true }),
  // Adam as the ENAS controller runs it (β1 = 0, ε = 1e-3), and with the usual defaults, clip-scaled.
  adamCase('controller (beta1 0, eps 1e-3)', { beta1: 0, beta2: f32(0.999), epsilon: f32(1e-3) }, {}),
  adamCase(
    'defaults (beta1 0.9, eps 1e-8)',
    { beta1: f32(0.9), beta2: f32(0.999), epsilon: f32(1e-8) },
    { scaled: true, weightDecay: f32(0.0625), arena: true },
  ),
  clipCase,
];
