/**
 * Matrix products: `matmul` for 2-D tensors (optionally transposed operands) and `linear`, the dense layer's
 * y = x·W + b with W stored [in, out] as in the official (TensorFlow) ENAS code.
 */
import { matmulBackward, matmul as matmulKernel } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

function dims2(op: string, t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`${op}: '${t.name}' must be 2-D, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0] as number, t.shape[1] as number];
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** op(a) · op(b) for 2-D tensors. */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}, bias?: Tensor): Tensor {
  const e = engineOf(a, b);
  const [ar, ac] = dims2('matmul', a);
  const [br, bc] = dims2('matmul', b);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [K2, N] = transB ? [bc, br] : [br, bc];
  if (K !== K2) {
    throw new Error(
      `matmul: inner dimensions differ: '${a.name}' [${a.shape.join(', ')}]${transA ? 'ᵀ' : ''} · '${b.name}' [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''}`,
    );
  }
  if (bias && (bias.size !== N || bias.shape.length !== 1)) throw new Error(`matmul: bias '${bias.name}' must have shape [${N}]`);
  const shape = { M, N, K, transA, transB };
  const y = e.empty([M, N], 'matmul');
  matmulKernel(e.rec, { a: a.data, b: b.data, c: y.data, bias: bias?.data }, shape);
  const inputs = bias ? [a, b, bias] : [a, b];
  return record('matmul', inputs, y, (g) => {
    const dc = g.of(y);
    const da = g.into(a);
    const db = g.into(b);
    const dbias = bias ? g.into(bias) : undefined;
    // One call per gradient: each may have its own accumulate flag.
    if (da) matmulBackward(e.rec, { dc, a: a.data, b: b.data, da: da.slice }, shape, da.accumulate);
    if (db) matmulBackward(e.rec, { dc, a: a.data, b: b.data, db: db.slice }, shape, db.accumulate);
    if (dbias) matmulBackward(e.rec, { dc, a: a.data, b: b.data, dbias: dbias.slice }, shape, dbias.accumulate);
  });
}

/** y = x·W (+ b), x [batch, in], W [in, out], b [out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return matmul(x, w, {}, b);
}
