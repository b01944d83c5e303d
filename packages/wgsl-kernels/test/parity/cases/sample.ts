/**
 * Parity cases of src/ops/sample: categorical sampling from logits with the controller's shaping (temperature,
 * tanh constant, additive bias). The sampled indices must be identical in both runtimes and equal to the float64
 * inverse-CDF draw with the GPU's own uniforms (the RNG's CPU twin); log p and entropy within tolerance.
 *
 * The backward needs the forward's log p and entropy; computing them on the CPU would need exp and log, whose last
 * bit may differ between the runtimes' JavaScript engines (parity-case.ts), so those cases record the forward first.
 */

import { rngWordsCpu, unitFromWord } from '../../../src/ops/random/rng-state.js';
import { categoricalSample, type LogitShaping, type SampleShape } from '../../../src/ops/sample/categorical-sample.js';
import { categoricalSampleBackward } from '../../../src/ops/sample/categorical-sample-backward.js';
import { categoricalSampleBackwardRef, categoricalSampleRef, shapeLogitsRef } from '../../../src/ops/sample/sample.reference.js';
import type { Rng } from '../../../src/util/rng.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

const STREAM = 5;

interface Config {
  readonly s: SampleShape;
  readonly shaping: LogitShaping;
  readonly bias: boolean;
}

const text = (c: Config) =>
  `B ${c.s.B} K ${c.s.K}${c.shaping.temperature ? ` temperature ${c.shaping.temperature}` : ''}` +
  `${c.shaping.tanhConstant ? ` tanh ${c.shaping.tanhConstant}` : ''}${c.bias ? ' bias' : ''}`;

const stateOf = (rng: Rng) => Uint32Array.of(rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), 0);

const common = (rng: Rng, c: Config) => ({ rng: stateOf(rng), logits: rng.f32(c.s.B * c.s.K, -3, 3), bias: rng.f32(c.s.K, -0.5, 0.5) });

const forwardOutputs = (s: SampleShape) => ({
  index: { count: s.B, type: 'u32' as const },
  logProb: { count: s.B },
  entropy: { count: s.B },
});

function forwardReference(c: Config, state: ArrayLike<number>, logits: ArrayLike<number>, bias: ArrayLike<number>) {
  const uniforms = Array.from(rngWordsCpu(state, STREAM, c.s.B), unitFromWord);
  const r = categoricalSampleRef(logits, c.bias ? bias : undefined, c.s, c.shaping, uniforms);
  return { index: r.index, logProb: r.logProb, entropy: r.entropy };
}

function forwardCase(c: Config, arena = false) {
  return parityCase({
    name: `categoricalSample ${text(c)}${arena ? ' (arena)' : ''}`,
    family: 'sample',
    arena,
    inputs: (rng) => common(rng, c),
    outputs: () => forwardOutputs(c.s),
    record: (rec, t) =>
      categoricalSample(
        rec,
        { rng: t.rng, logits: t.logits, bias: c.bias ? t.bias : undefined, index: t.index, logProb: t.logProb, entropy: t.entropy },
        c.s,
        { ...c.shaping, stream: STREAM },
      ),
    reference: ({ rng, logits, bias }) => forwardReference(c, rng, logits, bias),
  });
}

/** The sampler also writing the shaped logits it drew from (what a viewer reads as probabilities). */
function shapedCase(c: Config) {
  return parityCase({
    name: `categoricalSample ${text(c)} writing the shaped logits`,
    family: 'sample',
    inputs: (rng) => common(rng, c),
    outputs: () => ({ ...forwardOutputs(c.s), shaped: { count: c.s.B * c.s.K } }),
    record: (rec, t) =>
      categoricalSample(
        rec,
        {
          rng: t.rng,
          logits: t.logits,
          bias: c.bias ? t.bias : undefined,
          index: t.index,
          logProb: t.logProb,
          entropy: t.entropy,
          shaped: t.shaped,
        },
        c.s,
        { ...c.shaping, stream: STREAM },
      ),
    reference: ({ rng, logits, bias }) => ({
      ...forwardReference(c, rng, logits, bias),
      shaped: shapeLogitsRef(logits, c.bias ? bias : undefined, c.s, c.shaping),
    }),
  });
}

function backwardCase(c: Config, o: { dLogProb: boolean; dEntropy: boolean; accumulate?: boolean; arena?: boolean }) {
  const grads = [o.dLogProb ? 'dLogProb' : '', o.dEntropy ? 'dEntropy' : ''].filter(Boolean).join(' + ');
  return parityCase({
    name: `categoricalSample + backward (${grads}) ${text(c)}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'sample',
    arena: o.arena,
    inputs: (rng) => ({ ...common(rng, c), dLogProb: rng.f32(c.s.B), dEntropy: rng.f32(c.s.B), prior: rng.f32(c.s.B * c.s.K) }),
    outputs: ({ prior }) => ({ ...forwardOutputs(c.s), dLogits: o.accumulate ? { initial: prior } : { count: c.s.B * c.s.K } }),
    record: (rec, t) => {
      const bias = c.bias ? t.bias : undefined;
      categoricalSample(rec, { rng: t.rng, logits: t.logits, bias, index: t.index, logProb: t.logProb, entropy: t.entropy }, c.s, {
        ...c.shaping,
        stream: STREAM,
      });
      categoricalSampleBackward(
        rec,
        {
          logits: t.logits,
          bias,
          index: t.index,
          logProb: t.logProb,
          entropy: t.entropy,
          dLogProb: o.dLogProb ? t.dLogProb : undefined,
          dEntropy: o.dEntropy ? t.dEntropy : undefined,
          dLogits: t.dLogits,
        },
        c.s,
        { ...c.shaping, accumulate: o.accumulate },
      );
    },
    reference: ({ rng, logits, bias, dLogProb, dEntropy, prior }) => {
      const f = forwardReference(c, rng, logits, bias);
      const g = categoricalSampleBackwardRef(
        logits,
        c.bias ? bias : undefined,
        f.index,
        o.dLogProb ? dLogProb : undefined,
        o.dEntropy ? dEntropy : undefined,
        c.s,
        c.shaping,
      );
      return { ...f, dLogits: o.accumulate ? plusPrior(g, prior) : g };
    },
    // As in sample.test.ts: the backward's normaliser comes from the f32 log p(index), a few f32 ulps of |log p|.
    referenceRtol: 2e-4,
  });
}

// Plain logits (64-thread rows); the language model's controller (temperature 5, tanh 2.25) over a long row (256
// threads); the micro controller's operation choice (tanh 1.1/2.5 and the op bias).
const PLAIN: Config = { s: { B: 9, K: 12 }, shaping: {}, bias: false };
const LM: Config = { s: { B: 3, K: 300 }, shaping: { temperature: 5, tanhConstant: 2.25 }, bias: false };
const MICRO: Config = { s: { B: 4, K: 5 }, shaping: { tanhConstant: 1.1 / 2.5 }, bias: true };

export const sampleCases: ParityCase[] = [
  forwardCase(PLAIN),
  forwardCase(LM, true),
  forwardCase(MICRO),
  shapedCase(MICRO),
  backwardCase(PLAIN, { dLogProb: true, dEntropy: true }),
  backwardCase(MICRO, { dLogProb: true, dEntropy: false, accumulate: true, arena: true }),
  backwardCase(LM, { dLogProb: false, dEntropy: true }),
];
