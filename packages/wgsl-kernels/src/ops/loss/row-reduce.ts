/**
 * Row-wise reductions for kernels that run one workgroup per row of a [rows, K] matrix (softmax, cross-entropy,
 * sampling): each invocation folds a strided part of the row, then a tree in workgroup memory combines the
 * WG_X partials. A tree rather than one long serial sum, because K is a vocabulary (10 000 for PTB) as often
 * as a handful of classes; and the same data gives the same bits every run.
 */
import type { GpuContext } from '../../device/context.js';
import { grid1d } from '../../kernel/grid.js';
import type { BufferSlice } from '../../kernel/slice.js';

/** Needs WG_X to be a power of two. Every invocation of the workgroup must call these (they hold barriers). */
export const ROW_REDUCE_WGSL = /* wgsl */ `
var<workgroup> rowScratch: array<f32, WG_X>;

fn workgroupMax(lid: u32, v: f32) -> f32 {
  rowScratch[lid] = v;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { rowScratch[lid] = max(rowScratch[lid], rowScratch[lid + s]); }
    workgroupBarrier();
  }
  let r = rowScratch[0];
  workgroupBarrier();
  return r;
}

fn workgroupSum(lid: u32, v: f32) -> f32 {
  rowScratch[lid] = v;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { rowScratch[lid] = rowScratch[lid] + rowScratch[lid + s]; }
    workgroupBarrier();
  }
  let r = rowScratch[0];
  workgroupBarrier();
  return r;
}

// The most negative finite f32: the identity of max (WGSL has no infinity literal).
const LOWEST_F32: f32 = bitcast<f32>(0xff7fffffu);
`;

/**
 * WGSL statements leaving `m` = max of the row and `s` = Σ exp(z − m), the two reductions of a stable softmax
 * (log Σ exp = m + log s). `binding` is the [B, K] input; `base` (the row's first index) and `lid` must be in scope.
 */
export const rowMaxAndExpSumWgsl = (binding: string) => /* wgsl */ `
  var m = LOWEST_F32;
  for (var k = lid; k < u.K; k = k + WG_X) { m = max(m, ${binding}[base + k]); }
  m = workgroupMax(lid, m);
  var s = 0.0;
  for (var k = lid; k < u.K; k = k + WG_X) { s = s + exp(${binding}[base + k] - m); }
  s = workgroupSum(lid, s);`;

/** WGSL: a quiet NaN built at run time from any u32 (WGSL rejects a NaN constant expression). */
export const nanFrom = (u32Expression: string) => `bitcast<f32>(0x7fc00000u | ((${u32Expression}) & 0u))`;

/** Workgroup size for rows of K: small rows would leave most of a large workgroup idle. */
export function rowWorkgroupSize(K: number): 64 | 256 {
  return K <= 64 ? 64 : 256;
}

/** Grid of one workgroup per row (folded into two dimensions beyond 65535 rows). */
export function rowGrid(ctx: GpuContext, rows: number): [number, number, number] {
  return grid1d(ctx, rows, 1);
}

/** WGSL: the row of this workgroup in a `rowGrid` dispatch. */
export const ROW_INDEX_WGSL = 'let row = wid.x + wid.y * nwg.x;';

export function checkRowShape(fn: string, s: { B: number; K: number }): void {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; B and K must be positive integers`);
  }
  if (s.B * s.K > 2 ** 31) throw new Error(`${fn}: [B=${s.B}, K=${s.K}] exceeds 2^31 elements`);
}

export function checkRowOperand(
  fn: string,
  name: string,
  slice: BufferSlice,
  count: number,
  s: { B: number; K: number },
  what = 'floats',
): void {
  if (slice.size < count * 4) {
    const dims = count === s.B ? `[B=${s.B}]` : count === 1 ? 'a scalar' : `[B=${s.B}, K=${s.K}]`;
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} ${what} but must be ${dims} = ${count}`);
  }
}
