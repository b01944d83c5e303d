/**
 * Unary activations, forward and backward, generated from the table in unary-ops.ts.
 * Layout-free: they see flat arrays of `n` elements.
 */
import { read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { defineElementwise, dispatchElementwise } from './elementwise-kernel.js';
import { UNARY_OPS, type UnaryOp } from './unary-ops.js';

export const unaryForwardKernel = defineElementwise({
  name: 'unary_forward',
  bindings: { x: read(), y: readWrite() },
  uniforms: { n: 'u32' },
  out: 'y',
  inputs: ['x'],
  helpers: (c: { op: UnaryOp; accumulate?: boolean }) => `fn f(x: f32) -> f32 { return ${UNARY_OPS[c.op].forward}; }`,
  value: (_c, at) => `f(${at('x')})`,
});

export const unaryBackwardKernel = defineElementwise({
  name: 'unary_backward',
  bindings: { x: read(), y: read(), dy: read(), dx: readWrite() },
  uniforms: { n: 'u32' },
  out: 'dx',
  inputs: ['x', 'y', 'dy'],
  helpers: (c: { op: UnaryOp; accumulate: boolean }) => `fn df(x: f32, y: f32, dy: f32) -> f32 { return ${UNARY_OPS[c.op].backward}; }`,
  value: (_c, at) => `df(${at('x')}, ${at('y')}, ${at('dy')})`,
});

/** y = op(x) over n elements. */
export function unary(rec: Recorder, op: UnaryOp, x: BufferSlice, y: BufferSlice, n: number): void {
  dispatchElementwise(rec, unaryForwardKernel, { op }, { x, y }, { n });
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
  dispatchElementwise(rec, unaryBackwardKernel, { op, accumulate }, t, { n });
}
