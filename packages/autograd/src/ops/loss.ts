/**
 * Losses. `crossEntropy` is softmax cross-entropy fused with its gradient: the forward pass already writes
 * dLoss/dlogits (scaled for the mean), and the backward only multiplies it by the upstream gradient, which may be a
 * value on the GPU (a reward, a loss weight).
 */
import { logSoftmaxBackward, logSoftmax as logSoftmaxKernel, scaleByScalar, softmaxCrossEntropy } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

function rows(op: string, logits: Tensor): [number, number] {
  if (logits.shape.length !== 2)
    throw new Error(`${op}: logits '${logits.name}' must be [batch, classes], got [${logits.shape.join(', ')}]`);
  return logits.shape as unknown as [number, number];
}

/**
 * Mean over rows of −log softmax(logits)[label]; labels are a u32 tensor [B] (on the GPU: a data batch, or decisions
 * a sampler wrote). Returns a one-element tensor.
 */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const e = engineOf(logits, labels);
  const [B, K] = rows('crossEntropy', logits);
  if (labels.size !== B) throw new Error(`crossEntropy: ${labels.size} labels for ${B} rows`);
  const wantGrad = e.gradEnabled && logits.requiresGrad;
  const rowLoss = e.allocTemporary(B * 4, 'crossEntropy.rows');
  const loss = e.empty([1], 'crossEntropy');
  const dLogits = wantGrad ? e.allocTemporary(B * K * 4, 'crossEntropy.dlogits') : undefined;
  softmaxCrossEntropy(e.rec, { logits: logits.data, labels: labels.data, rowLoss, meanLoss: loss.data, dLogits }, { B, K });
  return record('crossEntropy', [logits], loss, (g) => {
    const dx = g.into(logits);
    if (dx && dLogits) scaleByScalar(e.rec, dLogits, g.of(loss), dx.slice, B * K, dx.accumulate);
  });
}

/** Row-wise log-softmax of [B, K]. */
export function logSoftmax(x: Tensor): Tensor {
  const e = engineOf(x);
  const [B, K] = rows('logSoftmax', x);
  const y = e.empty(x.shape, 'logSoftmax');
  logSoftmaxKernel(e.rec, { x: x.data, y: y.data }, { B, K });
  return record('logSoftmax', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) logSoftmaxBackward(e.rec, { y: y.data, dy: g.of(y), dx: dx.slice }, { B, K }, { accumulate: dx.accumulate });
  });
}
