/**
 * Row-wise log-softmax of a [B, K] matrix and its backward, one workgroup per row:
 *
 *   y = z − (m + log Σ exp(z − m)),  m = max z          dz = dy − exp(y) · Σ_k dy
 *
 * The backward takes the forward's output y (softmax = exp(y)), so it needs no max or normaliser of its own.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import {
  checkRowOperand,
  checkRowShape,
  ROW_INDEX_WGSL,
  ROW_REDUCE_WGSL,
  rowGrid,
  rowMaxAndExpSumWgsl,
  rowWorkgroupSize,
} from './row-reduce.js';
import type { LossShape } from './softmax-cross-entropy.js';

interface LogSoftmaxConfig {
  readonly wg: 64 | 256;
}

export const logSoftmaxKernel = defineKernel({
  name: 'log_softmax',
  bindings: { x: read(), y: readWrite() },
  uniforms: { B: 'u32', K: 'u32' },
  workgroupSize: (c: LogSoftmaxConfig) => [c.wg, 1, 1],
  workgroupMemoryBytes: (c) => c.wg * 4,
  wgsl: () => /* wgsl */ `
${ROW_REDUCE_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDEX_WGSL}
  if (row >= u.B) { return; }
  let base = row * u.K;
  ${rowMaxAndExpSumWgsl('x')}
  let lse = m + log(s);
  for (var k = lid; k < u.K; k = k + WG_X) { y[base + k] = x[base + k] - lse; }
}`,
});

export const logSoftmaxBackwardKernel = defineKernel({
  name: 'log_softmax_backward',
  bindings: { y: read(), dy: read(), dx: readWrite() },
  uniforms: { B: 'u32', K: 'u32' },
  workgroupSize: (c: LogSoftmaxConfig & { accumulate: boolean }) => [c.wg, 1, 1],
  workgroupMemoryBytes: (c) => c.wg * 4,
  wgsl: (c) => /* wgsl */ `
${ROW_REDUCE_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDEX_WGSL}
  if (row >= u.B) { return; }
  let base = row * u.K;
  var s = 0.0;
  for (var k = lid; k < u.K; k = k + WG_X) { s = s + dy[base + k]; }
  s = workgroupSum(lid, s);
  for (var k = lid; k < u.K; k = k + WG_X) {
    let g = dy[base + k] - exp(y[base + k]) * s;
    ${c.accumulate ? 'dx[base + k] = dx[base + k] + g;' : 'dx[base + k] = g;'}
  }
}`,
});

/** y [B, K] = log softmax of each row of x [B, K]. */
export function logSoftmax(rec: Recorder, t: { x: BufferSlice; y: BufferSlice }, s: LossShape): void {
  const fn = 'logSoftmax';
  checkRowShape(fn, s);
  checkRowOperand(fn, 'x', t.x, s.B * s.K, s);
  checkRowOperand(fn, 'y', t.y, s.B * s.K, s);
  logSoftmaxKernel.dispatch(rec, {
    config: { wg: rowWorkgroupSize(s.K) },
    bind: t,
    uniforms: { B: s.B, K: s.K },
    grid: rowGrid(rec.ctx, s.B),
  });
}

/** dx (+)= dy − exp(y) · rowsum(dy), from the forward output y. */
export function logSoftmaxBackward(
  rec: Recorder,
  t: { y: BufferSlice; dy: BufferSlice; dx: BufferSlice },
  s: LossShape,
  options: { accumulate?: boolean } = {},
): void {
  const fn = 'logSoftmaxBackward';
  checkRowShape(fn, s);
  for (const name of ['y', 'dy', 'dx'] as const) checkRowOperand(fn, name, t[name], s.B * s.K, s);
  logSoftmaxBackwardKernel.dispatch(rec, {
    config: { wg: rowWorkgroupSize(s.K), accumulate: !!options.accumulate },
    bind: t,
    uniforms: { B: s.B, K: s.K },
    grid: rowGrid(rec.ctx, s.B),
  });
}
