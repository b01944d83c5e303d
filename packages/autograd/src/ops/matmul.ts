/**
 * Matrix products: `matmul` for 2-D tensors (optionally transposed operands) and `linear`, the dense layer's
 * y = x·W + b with W stored [in, out] as in the official (TensorFlow) ENAS code.
 */
import { type BufferSlice, matmulBackward, matmul as matmulKernel, subSlice } from '@enas-webgpu/wgsl-kernels';
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

/** Where each block's rows start in W, once the blocks are checked against W. */
export interface ConcatBlocks {
  readonly M: number;
  readonly N: number;
  readonly widths: readonly number[];
  readonly firstRows: readonly number[];
  /** Every block of W starts at a bindable offset (minStorageBufferOffsetAlignment). */
  readonly bindable: boolean;
}

/** Checks blocks [M, k_i] against W [Σk_i, N] and locates W's row blocks. */
export function concatBlocks(op: string, parts: readonly Tensor[], w: Tensor): ConcatBlocks {
  if (parts.length === 0) throw new Error(`${op}: no blocks to multiply`);
  const M = dims2(op, parts[0] as Tensor)[0];
  const widths = parts.map((p) => {
    const [rows, cols] = dims2(op, p);
    if (rows !== M) throw new Error(`${op}: '${p.name}' has ${rows} rows, '${(parts[0] as Tensor).name}' ${M}; blocks must agree`);
    return cols;
  });
  const [K, N] = dims2(op, w);
  const firstRows: number[] = [];
  let row = 0;
  for (const k of widths) {
    firstRows.push(row);
    row += k;
  }
  if (row !== K) throw new Error(`${op}: blocks of widths [${widths.join(', ')}] (Σ ${row}) do not match '${w.name}' [${K}, ${N}]`);
  const alignment = w.engine.ctx.limits.minStorageBufferOffsetAlignment;
  return { M, N, widths, firstRows, bindable: firstRows.every((r) => (r * N * 4) % alignment === 0) };
}

/** Rows of block i of a W-shaped slice (W itself or its gradient). */
function blockRows(slice: BufferSlice, b: ConcatBlocks, i: number): BufferSlice {
  return subSlice(slice, (b.firstRows[i] as number) * b.N * 4, (b.widths[i] as number) * b.N * 4);
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
  const e = engineOf(...parts, w);
  const b = concatBlocks('matmulConcat', parts, w);
  if (!b.bindable) {
    const K = b.widths.reduce((x, y) => x + y, 0);
    return matmul(concatChannels(parts.map((p, i) => p.reshape([b.M, b.widths[i] as number, 1, 1]))).reshape([b.M, K]), w);
  }
  const y = e.empty([b.M, b.N], 'matmulConcat');
  parts.forEach((p, i) => {
    matmulKernel(
      e.rec,
      { a: p.data, b: blockRows(w.data, b, i), c: y.data },
      { M: b.M, N: b.N, K: b.widths[i] as number },
      { accumulate: i > 0 },
    );
  });
  return recordMatmulConcat(parts, w, y, b);
}

/**
 * Joins y = [a_1 | a_2 | …]·W, however it was computed (matmulConcat, or a fused kernel such as the LSTM step's),
 * to the tape. Needs bindable blocks.
 */
export function recordMatmulConcat(parts: readonly Tensor[], w: Tensor, y: Tensor, b: ConcatBlocks): Tensor {
  const e = y.engine;
  return record('matmulConcat', [...parts, w], y, (g) => {
    const dc = g.of(y);
    const dw = g.into(w);
    parts.forEach((p, i) => {
      const shape = { M: b.M, N: b.N, K: b.widths[i] as number };
      const wRows = blockRows(w.data, b, i);
      const dp = g.into(p);
      if (dp) matmulBackward(e.rec, { dc, a: p.data, b: wRows, da: dp.slice }, shape, dp.accumulate);
      // The blocks of W's gradient are disjoint, so each takes the flag of the whole.
      if (dw) matmulBackward(e.rec, { dc, a: p.data, b: wRows, db: blockRows(dw.slice, b, i) }, shape, dw.accumulate);
    });
  });
}
