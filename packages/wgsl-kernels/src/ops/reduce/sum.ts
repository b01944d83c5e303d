/**
 * Whole-tensor reductions to one scalar: the sum, the mean, or the Euclidean norm of n values, written into element
 * `outIndex` of a small output buffer that stays on the GPU (a loss, a reward, a norm read by later kernels).
 *
 * One workgroup does the whole reduction (strided per-invocation sums, then a tree; see workgroup-sum.ts), so it is
 * one dispatch with no scratch buffer, correct for any length. That suits the lengths it is used for (a batch of
 * losses, the partial sums of globalNorm); a multi-million-element tensor is better reduced through globalNorm's
 * multi-workgroup first stage.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from './workgroup-sum.js';

export interface ReduceScalarConfig {
  /** Sum x² instead of x. */
  readonly squares: boolean;
  /** What is stored: the sum, the sum / n, or sqrt(sum). */
  readonly finish: 'sum' | 'mean' | 'sqrt';
  /** out[outIndex] += result instead of =. */
  readonly accumulate: boolean;
}

export const reduceScalarKernel = defineKernel({
  name: 'reduce_scalar',
  bindings: { x: read(), out: readWrite() },
  uniforms: { n: 'u32', outIndex: 'u32' },
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: (c: ReduceScalarConfig) => /* wgsl */ `
${workgroupSumWgsl('workgroupSum')}
@compute @workgroup_size(WG_X)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < u.n; i = i + WG_X) {
    let v = x[i];
    s = ${c.squares ? 'fma(v, v, s)' : 's + v'};
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) {
    let r = ${{ sum: 'total', mean: 'total / f32(u.n)', sqrt: 'sqrt(total)' }[c.finish]};
    ${c.accumulate ? 'out[u.outIndex] = out[u.outIndex] + r;' : 'out[u.outIndex] = r;'}
  }
}`,
});

export interface SumAllOptions {
  /** Store the mean instead of the sum. */
  readonly mean?: boolean;
  /** Element of `out` that receives the result (default 0). */
  readonly outIndex?: number;
  /** Add to out[outIndex] instead of overwriting it. */
  readonly accumulate?: boolean;
}

/** out[outIndex] = Σ x[0..n) (or the mean with `mean: true`; `+=` with `accumulate`). */
export function sumAll(
  rec: Recorder,
  t: { readonly x: BufferSlice; readonly out: BufferSlice },
  n: number,
  options: SumAllOptions = {},
): void {
  const outIndex = options.outIndex ?? 0;
  checkScalarReduction('sumAll', t.x, n, t.out, outIndex);
  const config: ReduceScalarConfig = { squares: false, finish: options.mean ? 'mean' : 'sum', accumulate: !!options.accumulate };
  reduceScalarKernel.dispatch(rec, { config, bind: t, uniforms: { n, outIndex }, grid: [1] });
}

/** Shared argument checks of the scalar reductions (sumAll, and globalNorm's final stage). */
export function checkScalarReduction(fn: string, x: BufferSlice, n: number, out: BufferSlice, outIndex: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: n = ${n}; reduce at least one element`);
  if (x.size < n * 4) {
    throw new Error(`${fn}: the input holds ${Math.floor(x.size / 4)} floats but n = ${n}; pass a slice of at least ${n} floats`);
  }
  checkOutIndex(fn, out, outIndex);
}

export function checkOutIndex(fn: string, out: BufferSlice, outIndex: number): void {
  if (!Number.isInteger(outIndex) || outIndex < 0 || (outIndex + 1) * 4 > out.size) {
    throw new Error(`${fn}: outIndex ${outIndex} is outside the output buffer of ${Math.floor(out.size / 4)} floats`);
  }
}
