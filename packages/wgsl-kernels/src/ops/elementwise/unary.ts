/**
 * Unary activations, forward and backward, generated from the table in unary-ops.ts.
 * Layout-free: they see flat arrays of `n` elements.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { UNARY_OPS, type UnaryOp } from './unary-ops.js';

const WG = 256;

export const unaryForwardKernel = defineKernel({
  name: 'unary_forward',
  bindings: { x: read(), y: readWrite() },
  uniforms: { n: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { op: UnaryOp }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
fn f(x: f32) -> f32 { return ${UNARY_OPS[c.op].forward}; }

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  y[i] = f(x[i]);
}`,
});

export const unaryBackwardKernel = defineKernel({
  name: 'unary_backward',
  bindings: { x: read(), y: read(), dy: read(), dx: readWrite() },
  uniforms: { n: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { op: UnaryOp; accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
fn df(x: f32, y: f32, dy: f32) -> f32 { return ${UNARY_OPS[c.op].backward}; }

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  let g = df(x[i], y[i], dy[i]);
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`,
});

/** y = op(x) over n elements. */
export function unary(rec: Recorder, op: UnaryOp, x: BufferSlice, y: BufferSlice, n: number): void {
  unaryForwardKernel.dispatch(rec, { config: { op }, bind: { x, y }, uniforms: { n }, grid: grid1d(rec.ctx, n, WG) });
}

/**
 * dx = op'(x) * dy (or dx += ... with accumulate). Needs both x and y = op(x): whichever the derivative uses.
 * For identity this is still a real dispatch (a copy), so callers that can alias gradients should.
 */
export function unaryBackward(
  rec: Recorder,
  op: UnaryOp,
  t: { x: BufferSlice; y: BufferSlice; dy: BufferSlice; dx: BufferSlice },
  n: number,
  accumulate = false,
): void {
  unaryBackwardKernel.dispatch(rec, {
    config: { op, accumulate },
    bind: t,
    uniforms: { n },
    grid: grid1d(rec.ctx, n, WG),
  });
}
