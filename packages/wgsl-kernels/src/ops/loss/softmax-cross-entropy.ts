/**
 * Softmax cross-entropy with integer labels, fused with its gradient (one workgroup per row, three passes over
 * the row's logits z):
 *
 *   m = max z,  lse = m + log Σ exp(z − m),  loss = lse − z[label],  dz = (softmax(z) − onehot(label)) · scale
 *
 * Subtracting the row max keeps exp in range for any logits (PTB's 10 000-word softmax included). The mean over
 * rows is a second, single-workgroup dispatch (`meanOfRows`): a cross-workgroup sum needs either float atomics or
 * a second pass, and the second pass is deterministic. Without dLogits (evaluation) a loss-only variant runs, so
 * no [B, K] gradient is written. A label ≥ K makes that row's loss and gradient NaN, so the bug is visible.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import {
  checkRowOperand,
  checkRowShape,
  nanFrom,
  ROW_INDEX_WGSL,
  ROW_REDUCE_WGSL,
  rowGrid,
  rowMaxAndExpSumWgsl,
  rowWorkgroupSize,
} from './row-reduce.js';

export interface LossShape {
  /** Rows (examples, or tokens for a language model). */
  readonly B: number;
  /** Classes (vocabulary size). */
  readonly K: number;
}

interface CrossEntropyConfig {
  readonly wg: 64 | 256;
  readonly accumulate: boolean;
}

const crossEntropyWgsl = (withGradient: boolean, c: CrossEntropyConfig) => /* wgsl */ `
${ROW_REDUCE_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDEX_WGSL}
  if (row >= u.B) { return; }
  let base = row * u.K;
  ${rowMaxAndExpSumWgsl('logits')}
  let label = labels[row];
  let valid = label < u.K;
  if (lid == 0u) {
    rowLoss[row] = select(${nanFrom('label')}, m + log(s) - logits[base + min(label, u.K - 1u)], valid);
  }
  ${
    withGradient
      ? `let invS = 1.0 / s;
  for (var k = lid; k < u.K; k = k + WG_X) {
    let p = exp(logits[base + k] - m) * invS;
    let g = select(${nanFrom('label')}, (p - select(0.0, 1.0, k == label)) * u.scale, valid);
    ${c.accumulate ? 'dLogits[base + k] = dLogits[base + k] + g;' : 'dLogits[base + k] = g;'}
  }`
      : ''
  }
}`;

export const softmaxCrossEntropyKernel = defineKernel({
  name: 'softmax_cross_entropy',
  bindings: { logits: read(), labels: read('u32'), rowLoss: readWrite(), dLogits: readWrite() },
  uniforms: { B: 'u32', K: 'u32', scale: 'f32' },
  workgroupSize: (c: CrossEntropyConfig) => [c.wg, 1, 1],
  workgroupMemoryBytes: (c) => c.wg * 4,
  wgsl: (c) => crossEntropyWgsl(true, c),
});

export const crossEntropyLossKernel = defineKernel({
  name: 'cross_entropy_loss',
  bindings: { logits: read(), labels: read('u32'), rowLoss: readWrite() },
  uniforms: { B: 'u32', K: 'u32' },
  workgroupSize: (c: CrossEntropyConfig) => [c.wg, 1, 1],
  workgroupMemoryBytes: (c) => c.wg * 4,
  wgsl: (c) => crossEntropyWgsl(false, c),
});

const MEAN_WG = 256;

export const meanOfRowsKernel = defineKernel({
  name: 'mean_of_rows',
  bindings: { x: read(), mean: readWrite() },
  uniforms: { n: 'u32' },
  workgroupSize: [MEAN_WG, 1, 1],
  workgroupMemoryBytes: () => MEAN_WG * 4,
  wgsl: () => /* wgsl */ `
${ROW_REDUCE_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < u.n; i = i + WG_X) { s = s + x[i]; }
  s = workgroupSum(lid, s);
  if (lid == 0u) { mean[0] = s / f32(u.n); }
}`,
});

/** mean[0] = (Σ x[0..n)) / n, in one workgroup. */
export function meanOfRows(rec: Recorder, t: { x: BufferSlice; mean: BufferSlice }, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`meanOfRows: n = ${n}; pass a positive integer`);
  if (t.x.size < n * 4) throw new Error(`meanOfRows: x holds ${Math.floor(t.x.size / 4)} floats but n = ${n}`);
  meanOfRowsKernel.dispatch(rec, { bind: t, uniforms: { n }, grid: [1] });
}

export interface SoftmaxCrossEntropyOperands {
  /** [B, K]. */
  readonly logits: BufferSlice;
  /** u32 [B], each in [0, K). */
  readonly labels: BufferSlice;
  /** Written: per-row loss [B]. */
  readonly rowLoss: BufferSlice;
  /** Written when given: the mean of rowLoss (one float). */
  readonly meanLoss?: BufferSlice;
  /** Written when given: (softmax − onehot) · gradScale [B, K]. */
  readonly dLogits?: BufferSlice;
}

export interface SoftmaxCrossEntropyOptions {
  /** Multiplies the gradient; default 1/B, the gradient of the mean loss. */
  readonly gradScale?: number;
  /** dLogits += instead of =. */
  readonly accumulate?: boolean;
}

export function softmaxCrossEntropy(
  rec: Recorder,
  t: SoftmaxCrossEntropyOperands,
  s: LossShape,
  options: SoftmaxCrossEntropyOptions = {},
): void {
  const fn = 'softmaxCrossEntropy';
  checkRowShape(fn, s);
  checkRowOperand(fn, 'logits', t.logits, s.B * s.K, s);
  checkRowOperand(fn, 'labels', t.labels, s.B, s, 'u32');
  checkRowOperand(fn, 'rowLoss', t.rowLoss, s.B, s);
  if (t.dLogits) checkRowOperand(fn, 'dLogits', t.dLogits, s.B * s.K, s);
  if (t.meanLoss) checkRowOperand(fn, 'meanLoss', t.meanLoss, 1, s);
  const scale = options.gradScale ?? 1 / s.B;
  if (!Number.isFinite(scale)) throw new Error(`${fn}: gradScale = ${scale}; pass a finite number`);
  const config: CrossEntropyConfig = { wg: rowWorkgroupSize(s.K), accumulate: !!options.accumulate };
  const grid = rowGrid(rec.ctx, s.B);
  if (t.dLogits) {
    softmaxCrossEntropyKernel.dispatch(rec, {
      config,
      bind: { logits: t.logits, labels: t.labels, rowLoss: t.rowLoss, dLogits: t.dLogits },
      uniforms: { B: s.B, K: s.K, scale },
      grid,
    });
  } else {
    crossEntropyLossKernel.dispatch(rec, {
      config,
      bind: { logits: t.logits, labels: t.labels, rowLoss: t.rowLoss },
      uniforms: { B: s.B, K: s.K },
      grid,
    });
  }
  if (t.meanLoss) meanOfRows(rec, { x: t.rowLoss, mean: t.meanLoss }, s.B);
}
