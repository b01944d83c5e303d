/**
 * Matrix products: `matmul` for 2-D tensors (optionally transposed operands) and `linear`, the dense layer's
 * y = x·W + b with W stored [in, out] as in the official (TensorFlow) ENAS code.
 */
import { matmulBackward, matmul as matmulKernel, subSlice } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';
import { concatChannels } from './shape.js';

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

/**
 * [a_1 | a_2 | …]·W: the product of row blocks a_i [M, k_i] set side by side, with W [Σk_i, N], without
 * materialising the concatenation. Block i multiplies W's rows k_i (a sub-range of W, which is row-major) and
 * accumulates into the output, so the LSTM's [x, h_prev]·W costs two dispatches instead of two copies and a
 * product; the backward is one product per block and operand, as the concatenated form's would be plus its split.
 * Where a block of W does not start at an offset the device can bind (minStorageBufferOffsetAlignment), it falls
 * back to the concatenation, with the same result.
 */
export function matmulConcat(parts: readonly Tensor[], w: Tensor): Tensor {
  if (parts.length === 0) throw new Error('matmulConcat: no blocks to multiply');
  const e = engineOf(...parts, w);
  const M = dims2('matmulConcat', parts[0] as Tensor)[0];
  const widths = parts.map((p) => {
    const [rows, cols] = dims2('matmulConcat', p);
    if (rows !== M) throw new Error(`matmulConcat: '${p.name}' has ${rows} rows, '${(parts[0] as Tensor).name}' ${M}; blocks must agree`);
    return cols;
  });
  const [K, N] = dims2('matmulConcat', w);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total !== K) {
    throw new Error(`matmulConcat: blocks of widths [${widths.join(', ')}] (Σ ${total}) do not match '${w.name}' [${K}, ${N}]`);
  }
  const firstRows: number[] = [];
  let row = 0;
  for (const k of widths) {
    firstRows.push(row);
    row += k;
  }
  const alignment = e.ctx.limits.minStorageBufferOffsetAlignment;
  if (firstRows.some((r) => (r * N * 4) % alignment !== 0)) {
    return matmul(concatChannels(parts.map((p, i) => p.reshape([M, widths[i] as number, 1, 1]))).reshape([M, K]), w);
  }
  const rowsOf = (slice: typeof w.data, i: number) => subSlice(slice, (firstRows[i] as number) * N * 4, (widths[i] as number) * N * 4);
  const y = e.empty([M, N], 'matmulConcat');
  parts.forEach((p, i) => {
    matmulKernel(e.rec, { a: p.data, b: rowsOf(w.data, i), c: y.data }, { M, N, K: widths[i] as number }, { accumulate: i > 0 });
  });
  return record('matmulConcat', [...parts, w], y, (g) => {
    const dc = g.of(y);
    const dw = g.into(w);
    parts.forEach((p, i) => {
      const shape = { M, N, K: widths[i] as number };
      const b = rowsOf(w.data, i);
      const dp = g.into(p);
      if (dp) matmulBackward(e.rec, { dc, a: p.data, b, da: dp.slice }, shape, dp.accumulate);
      // The blocks of W's gradient are disjoint, so each takes the flag of the whole.
      if (dw) matmulBackward(e.rec, { dc, a: p.data, b, db: rowsOf(dw.slice, i) }, shape, dw.accumulate);
    });
  });
}
