/** Elementwise ops: activations, add, sub, mul, scale. */
import {
  type BufferSlice,
  binary,
  mulBackward,
  scaleByScalar,
  scale as scaleKernel,
  type UnaryOp,
  unaryBackward,
  unary as unaryKernel,
} from '@enas-webgpu/wgsl-kernels';
import type { Grads } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { engineOf, record, sameShape } from './record.js';

function activation(op: UnaryOp, x: Tensor): Tensor {
  const e = engineOf(x);
  const y = e.empty(x.shape, op);
  unaryKernel(e.rec, op, x.data, y.data, x.size);
  return record(op, [x], y, (g) => {
    const dx = g.into(x);
    if (dx) unaryBackward(e.rec, op, { x: x.data, y: y.data, dy: g.of(y), dx: dx.slice }, x.size, dx.accumulate);
  });
}

export const relu = (x: Tensor): Tensor => activation('relu', x);
export const tanh = (x: Tensor): Tensor => activation('tanh', x);
export const sigmoid = (x: Tensor): Tensor => activation('sigmoid', x);

/** dx += alpha · dy: how linear ops hand a gradient through. */
function passGradient(g: Grads, x: Tensor, dy: BufferSlice, alpha: number): void {
  const dx = g.into(x);
  if (dx) scaleKernel(x.engine.rec, dy, dx.slice, x.size, alpha, dx.accumulate);
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameShape('add', a, b);
  const e = engineOf(a, b);
  const y = e.empty(a.shape, 'add');
  binary(e.rec, 'add', a.data, b.data, y.data, a.size);
  return record('add', [a, b], y, (g) => {
    const dy = g.of(y);
    passGradient(g, a, dy, 1);
    passGradient(g, b, dy, 1);
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  sameShape('sub', a, b);
  const e = engineOf(a, b);
  const y = e.empty(a.shape, 'sub');
  binary(e.rec, 'sub', a.data, b.data, y.data, a.size);
  return record('sub', [a, b], y, (g) => {
    const dy = g.of(y);
    passGradient(g, a, dy, 1);
    passGradient(g, b, dy, -1);
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const e = engineOf(a, b);
  const y = e.empty(a.shape, 'mul');
  binary(e.rec, 'mul', a.data, b.data, y.data, a.size);
  return record('mul', [a, b], y, (g) => {
    const dy = g.of(y);
    const da = g.into(a);
    const db = g.into(b);
    // The fused kernel writes both gradients with one accumulate flag; when only one is wanted, the flags differ
    // or both are the same tensor (x · x), use one mul per input (dx = dy · other).
    if (da && db && da.accumulate === db.accumulate && a.owner !== b.owner) {
      mulBackward(e.rec, { a: a.data, b: b.data, dy, da: da.slice, db: db.slice }, a.size, da.accumulate);
      return;
    }
    if (da) binary(e.rec, 'mul', dy, b.data, da.slice, a.size, da.accumulate);
    if (db) binary(e.rec, 'mul', dy, a.data, db.slice, a.size, db.accumulate);
  });
}

export function scale(x: Tensor, alpha: number): Tensor {
  const e = engineOf(x);
  const y = e.empty(x.shape, 'scale');
  scaleKernel(e.rec, x.data, y.data, x.size, alpha);
  return record('scale', [x], y, (g) => passGradient(g, x, g.of(y), alpha));
}

/**
 * x · s[0] with s a one-element tensor treated as a constant (no gradient flows into s): a loss weighted by a
 * value computed on the GPU, such as REINFORCE's advantage.
 */
export function mulScalar(x: Tensor, s: Tensor): Tensor {
  const e = engineOf(x, s);
  if (s.size !== 1) throw new Error(`mulScalar: '${s.name}' must hold one value, has shape [${s.shape.join(', ')}]`);
  const y = e.empty(x.shape, 'mulScalar');
  scaleByScalar(e.rec, x.data, s.data, y.data, x.size);
  return record('mulScalar', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) scaleByScalar(e.rec, g.of(y), s.data, dx.slice, x.size, dx.accumulate);
  });
}
