/** Float64 references of the controller's categorical sampler and its gradient. */
import type { LogitShaping, SampleShape } from './categorical-sample.js';

/** z = [tanhConstant · tanh](logits / temperature) + bias, row-major [B, K]. */
export function shapeLogitsRef(
  logits: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  s: SampleShape,
  o: LogitShaping,
): Float64Array {
  return Float64Array.from({ length: s.B * s.K }, (_, i) => {
    let z = (logits[i] as number) / (o.temperature ?? 1);
    if (o.tanhConstant !== undefined) z = o.tanhConstant * Math.tanh(z);
    return z + (bias ? (bias[i % s.K] as number) : 0);
  });
}

/** Row-wise softmax probabilities and log-probabilities of shaped logits. */
function softmaxRows(z: Float64Array, s: SampleShape): { p: Float64Array; logP: Float64Array } {
  const p = new Float64Array(s.B * s.K);
  const logP = new Float64Array(s.B * s.K);
  for (let b = 0; b < s.B; b++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < s.K; k++) m = Math.max(m, z[b * s.K + k] as number);
    let sum = 0;
    for (let k = 0; k < s.K; k++) sum += Math.exp((z[b * s.K + k] as number) - m);
    for (let k = 0; k < s.K; k++) {
      logP[b * s.K + k] = (z[b * s.K + k] as number) - m - Math.log(sum);
      p[b * s.K + k] = Math.exp(logP[b * s.K + k] as number);
    }
  }
  return { p, logP };
}

export interface CategoricalSampleRef {
  readonly index: Uint32Array;
  readonly logProb: Float64Array;
  readonly entropy: Float64Array;
  /** Softmax probabilities [B, K]. */
  readonly probs: Float64Array;
  /** log p of every category [B, K]. */
  readonly logProbs: Float64Array;
}

/** Inverse-CDF draws with the given uniforms u[b] ∈ [0, 1) (the GPU's, from the RNG's CPU twin). */
export function categoricalSampleRef(
  logits: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  s: SampleShape,
  o: LogitShaping,
  uniforms: ArrayLike<number>,
): CategoricalSampleRef {
  const { p, logP } = softmaxRows(shapeLogitsRef(logits, bias, s, o), s);
  const index = new Uint32Array(s.B);
  const logProb = new Float64Array(s.B);
  const entropy = new Float64Array(s.B);
  for (let b = 0; b < s.B; b++) {
    let acc = 0;
    let chosen = -1;
    let lastPositive = 0;
    for (let k = 0; k < s.K; k++) {
      const pk = p[b * s.K + k] as number;
      if (pk > 0) lastPositive = k;
      acc += pk;
      if (chosen < 0 && acc > (uniforms[b] as number)) chosen = k;
      entropy[b] = (entropy[b] as number) - (pk > 0 ? pk * (logP[b * s.K + k] as number) : 0);
    }
    index[b] = chosen < 0 ? lastPositive : chosen;
    logProb[b] = logP[b * s.K + (index[b] as number)] as number;
  }
  return { index, logProb, entropy, probs: p, logProbs: logP };
}

/** log p(index) and entropy for given indices: the functions the backward differentiates. */
export function sampleObjectivesRef(
  logits: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  index: ArrayLike<number>,
  s: SampleShape,
  o: LogitShaping,
): { logProb: Float64Array; entropy: Float64Array } {
  const { p, logP } = softmaxRows(shapeLogitsRef(logits, bias, s, o), s);
  const logProb = new Float64Array(s.B);
  const entropy = new Float64Array(s.B);
  for (let b = 0; b < s.B; b++) {
    logProb[b] = logP[b * s.K + (index[b] as number)] as number;
    for (let k = 0; k < s.K; k++) entropy[b] = (entropy[b] as number) - (p[b * s.K + k] as number) * (logP[b * s.K + k] as number);
  }
  return { logProb, entropy };
}

/** d/d logits of Σ_b dLogProb[b]·log p_b(index[b]) + dEntropy[b]·H_b (absent gradients are 0). */
export function categoricalSampleBackwardRef(
  logits: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  index: ArrayLike<number>,
  dLogProb: ArrayLike<number> | undefined,
  dEntropy: ArrayLike<number> | undefined,
  s: SampleShape,
  o: LogitShaping,
): Float64Array {
  const { p, logP } = softmaxRows(shapeLogitsRef(logits, bias, s, o), s);
  const { entropy } = sampleObjectivesRef(logits, bias, index, s, o);
  const dLogits = new Float64Array(s.B * s.K);
  const T = o.temperature ?? 1;
  for (let b = 0; b < s.B; b++) {
    for (let k = 0; k < s.K; k++) {
      const i = b * s.K + k;
      const pk = p[i] as number;
      let g = 0;
      if (dLogProb) g += (dLogProb[b] as number) * ((k === index[b] ? 1 : 0) - pk);
      if (dEntropy) g -= (dEntropy[b] as number) * pk * ((logP[i] as number) + (entropy[b] as number));
      const x = (logits[i] as number) / T;
      const slope = o.tanhConstant !== undefined ? (o.tanhConstant * (1 - Math.tanh(x) ** 2)) / T : 1 / T;
      dLogits[i] = g * slope;
    }
  }
  return dLogits;
}
