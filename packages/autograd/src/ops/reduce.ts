/** Whole-tensor reductions: sum and mean to a scalar, and the accuracy count (no gradient). */
import { accuracyCount as accuracyKernel, broadcastScalar, sumAll } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

function reduceAll(x: Tensor, mean: boolean): Tensor {
  const e = engineOf(x);
  const y = e.empty([1], mean ? 'mean' : 'sum');
  sumAll(e.rec, { x: x.data, out: y.data }, x.size, { mean });
  return record(mean ? 'mean' : 'sum', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) broadcastScalar(e.rec, g.of(y), dx.slice, x.size, mean ? 1 / x.size : 1, dx.accumulate);
  });
}

export const sum = (x: Tensor): Tensor => reduceAll(x, false);
export const mean = (x: Tensor): Tensor => reduceAll(x, true);

/** The number of rows of `logits` [B, K] whose argmax equals the u32 label, as a one-element f32 tensor. */
export function accuracyCount(logits: Tensor, labels: Tensor): Tensor {
  const e = engineOf(logits, labels);
  if (logits.shape.length !== 2) throw new Error(`accuracyCount: logits must be [batch, classes], got [${logits.shape.join(', ')}]`);
  const [rows, classes] = logits.shape as [number, number];
  if (labels.size !== rows) throw new Error(`accuracyCount: ${labels.size} labels for ${rows} rows`);
  const y = e.empty([1], 'accuracy');
  accuracyKernel(e.rec, { logits: logits.data, labels: labels.data, out: y.data }, { rows, classes });
  return y;
}
