/**
 * Elementwise binary ops on equal-length flat arrays: add, sub, mul, and scale (y = alpha * x).
 * Gradients: add and sub pass dy through (callers alias it, no kernel), mul has `mulBackward`, scale is a scale.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { defineElementwise, dispatchElementwise } from './elementwise-kernel.js';

const WG = 256;

export const BINARY_OPS = {
  add: { wgsl: 'a + b', cpu: (a: number, b: number) => a + b },
  sub: { wgsl: 'a - b', cpu: (a: number, b: number) => a - b },
  mul: { wgsl: 'a * b', cpu: (a: number, b: number) => a * b },
} as const;
export type BinaryOp = keyof typeof BINARY_OPS;

export const binaryKernel = defineElementwise({
  name: 'binary',
  bindings: { a: read(), b: read(), y: readWrite() },
  uniforms: { n: 'u32' },
  out: 'y',
  inputs: ['a', 'b'],
  helpers: (c: { op: BinaryOp; accumulate: boolean }) => `fn op(a: f32, b: f32) -> f32 { return ${BINARY_OPS[c.op].wgsl}; }`,
  value: (_c, at) => `op(${at('a')}, ${at('b')})`,
});

export const mulBackwardKernel = defineKernel({
  name: 'mul_backward',
  bindings: { a: read(), b: read(), dy: read(), da: readWrite(), db: readWrite() },
  uniforms: { n: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  let g = dy[i];
  ${c.accumulate ? 'da[i] = da[i] + g * b[i];\n  db[i] = db[i] + g * a[i];' : 'da[i] = g * b[i];\n  db[i] = g * a[i];'}
}`,
});

export const scaleKernel = defineElementwise({
  name: 'scale',
  bindings: { x: read(), y: readWrite() },
  uniforms: { n: 'u32', alpha: 'f32' },
  out: 'y',
  inputs: ['x'],
  value: (_c: { accumulate: boolean }, at) => `u.alpha * ${at('x')}`,
});

/** y = a op b (or y += a op b). */
export function binary(rec: Recorder, op: BinaryOp, a: BufferSlice, b: BufferSlice, y: BufferSlice, n: number, accumulate = false): void {
  dispatchElementwise(rec, binaryKernel, { op, accumulate }, { a, b, y }, { n });
}

/** da = dy * b, db = dy * a (or accumulated into). `da` and `db` must not overlap. */
export function mulBackward(
  rec: Recorder,
  t: { a: BufferSlice; b: BufferSlice; dy: BufferSlice; da: BufferSlice; db: BufferSlice },
  n: number,
  accumulate = false,
): void {
  mulBackwardKernel.dispatch(rec, { config: { accumulate }, bind: t, uniforms: { n }, grid: grid1d(rec.ctx, n, WG) });
}

/** y = alpha * x (or y += alpha * x). */
export function scale(rec: Recorder, x: BufferSlice, y: BufferSlice, n: number, alpha: number, accumulate = false): void {
  dispatchElementwise(rec, scaleKernel, { accumulate }, { x, y }, { n, alpha });
}

export const fillKernel = defineElementwise({
  name: 'fill',
  bindings: { y: readWrite() },
  uniforms: { n: 'u32', value: 'f32' },
  out: 'y',
  inputs: [],
  value: (_c: { accumulate?: boolean }) => 'u.value',
});

/**
 * y = value. A dispatch rather than clearBuffer so it stays inside the step's compute pass (a clear would end
 * the pass); `value` is a uniform, so use it for constants (zeros, the seed gradient 1), not per-step values.
 */
export function fill(rec: Recorder, y: BufferSlice, n: number, value: number): void {
  dispatchElementwise(rec, fillKernel, {}, { y }, { n, value });
}

export const broadcastScalarKernel = defineElementwise({
  name: 'broadcast_scalar',
  bindings: { x: read(), y: readWrite() },
  uniforms: { n: 'u32', alpha: 'f32' },
  out: 'y',
  inputs: [],
  value: (_c: { accumulate: boolean }) => 'u.alpha * x[0]',
});

/** y[i] = alpha · x[0] for i < n (or +=): the gradient of a sum or mean, whose upstream gradient is on the GPU. */
export function broadcastScalar(rec: Recorder, x: BufferSlice, y: BufferSlice, n: number, alpha = 1, accumulate = false): void {
  dispatchElementwise(rec, broadcastScalarKernel, { accumulate }, { x, y }, { n, alpha });
}

export const scaleByScalarKernel = defineElementwise({
  name: 'scale_by_scalar',
  bindings: { x: read(), s: read(), y: readWrite() },
  uniforms: { n: 'u32' },
  out: 'y',
  inputs: ['x'],
  value: (_c: { accumulate: boolean }, at) => `${at('x')} * s[0]`,
});

/**
 * y = x · s[0] (or +=), with the scalar read from GPU memory: chains a saved gradient with an upstream gradient
 * that never leaves the GPU (a loss weighted by a reward, an auxiliary loss scaled by a constant op).
 */
export function scaleByScalar(rec: Recorder, x: BufferSlice, s: BufferSlice, y: BufferSlice, n: number, accumulate = false): void {
  dispatchElementwise(rec, scaleByScalarKernel, { accumulate }, { x, s, y }, { n });
}
