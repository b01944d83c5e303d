/** Float64 references of softmax cross-entropy and log-softmax, from the definitions. */
import type { LossShape } from './softmax-cross-entropy.js';

/** log Σ exp of row b, computed stably. */
function logSumExp(z: ArrayLike<number>, base: number, K: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) m = Math.max(m, z[base + k] as number);
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp((z[base + k] as number) - m);
  return m + Math.log(s);
}

export function logSoftmaxRef(x: ArrayLike<number>, s: LossShape): Float64Array {
  const y = new Float64Array(s.B * s.K);
  for (let b = 0; b < s.B; b++) {
    const lse = logSumExp(x, b * s.K, s.K);
    for (let k = 0; k < s.K; k++) y[b * s.K + k] = (x[b * s.K + k] as number) - lse;
  }
  return y;
}

/** dx = dy − softmax · Σ dy per row, with softmax = exp(y) from the given forward output. */
export function logSoftmaxBackwardRef(y: ArrayLike<number>, dy: ArrayLike<number>, s: LossShape): Float64Array {
  const dx = new Float64Array(s.B * s.K);
  for (let b = 0; b < s.B; b++) {
    let sum = 0;
    for (let k = 0; k < s.K; k++) sum += dy[b * s.K + k] as number;
    for (let k = 0; k < s.K; k++) dx[b * s.K + k] = (dy[b * s.K + k] as number) - Math.exp(y[b * s.K + k] as number) * sum;
  }
  return dx;
}

/** Per-row loss, their mean, and (softmax − onehot) · scale. */
export function softmaxCrossEntropyRef(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  s: LossShape,
  scale = 1 / s.B,
): { rowLoss: Float64Array; meanLoss: number; dLogits: Float64Array } {
  const rowLoss = new Float64Array(s.B);
  const dLogits = new Float64Array(s.B * s.K);
  for (let b = 0; b < s.B; b++) {
    const lse = logSumExp(logits, b * s.K, s.K);
    const label = labels[b] as number;
    rowLoss[b] = lse - (logits[b * s.K + label] as number);
    for (let k = 0; k < s.K; k++) {
      const p = Math.exp((logits[b * s.K + k] as number) - lse);
      dLogits[b * s.K + k] = (p - (k === label ? 1 : 0)) * scale;
    }
  }
  return { rowLoss, meanLoss: rowLoss.reduce((a, v) => a + v, 0) / s.B, dLogits };
}
