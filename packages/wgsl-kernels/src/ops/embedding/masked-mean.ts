/**
 * Masked mean of rows: y[d] = Σ_{b: mask[b] ≠ 0} rows[b, d] / (extra + n), n = the number of selected rows, for
 * rows [B, D] and a u32 mask [B] (an embedding bag with mean, the bag given as a mask). The ENAS macro controller
 * feeds its LSTM with the mean of the anchors of the layers it chose to skip-connect, divided by 1 + Σ skip
 * (official `general_controller.py` L247-248: `skip @ anchors / (1 + reduce_sum(skip))`), so `extra` = 1 there;
 * the mask is the row of decisions its sampler wrote, so the whole pass stays on the GPU.
 *
 * When extra + n = 0 (no row selected and extra = 0) the mean of nothing is written as 0.
 *
 * The gradient reaches the rows only (the mask is discrete): dRows[b, d] = [mask[b] ≠ 0] · dy[d] / (extra + n).
 * B is the number of candidate rows (a handful of earlier layers), so each invocation counts the mask itself.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

const WG = 64;

export interface MaskedMeanShape {
  /** Candidate rows. */
  readonly B: number;
  /** Row width. */
  readonly D: number;
}

export interface MaskedMeanOptions {
  /** Added to the count of selected rows in the denominator (ENAS: 1). Default 0. */
  readonly extra?: number;
}

/** WGSL: `inverseCount()`, 1 / (extra + n), or 0 when that is 0. */
const INVERSE_COUNT_WGSL = /* wgsl */ `
fn inverseCount() -> f32 {
  var n = 0u;
  for (var b = 0u; b < u.B; b = b + 1u) {
    if (mask[b] != 0u) { n = n + 1u; }
  }
  let denominator = u.extra + f32(n);
  return select(0.0, 1.0 / denominator, denominator > 0.0);
}`;

export const maskedMeanKernel = defineKernel({
  name: 'masked_mean',
  bindings: { rows: read(), mask: read('u32'), y: readWrite() },
  uniforms: { B: 'u32', D: 'u32', extra: 'f32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
${INVERSE_COUNT_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let d = flatIndex(gid, nwg);
  if (d >= u.D) { return; }
  var s = 0.0;
  for (var b = 0u; b < u.B; b = b + 1u) {
    if (mask[b] != 0u) { s = s + rows[b * u.D + d]; }
  }
  y[d] = s * inverseCount();
}`,
});

export const maskedMeanBackwardKernel = defineKernel({
  name: 'masked_mean_backward',
  bindings: { mask: read('u32'), dy: read(), dRows: readWrite() },
  uniforms: { B: 'u32', D: 'u32', extra: 'f32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${INVERSE_COUNT_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.B * u.D) { return; }
  let b = i / u.D;
  let d = i - b * u.D;
  let g = select(0.0, dy[d] * inverseCount(), mask[b] != 0u);
  ${c.accumulate ? 'dRows[i] = dRows[i] + g;' : 'dRows[i] = g;'}
}`,
});

function check(fn: string, s: MaskedMeanShape, o: MaskedMeanOptions, operands: [string, BufferSlice, number, string][]): number {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; B and D must be positive integers`);
  }
  if (s.B * s.D > 2 ** 31) throw new Error(`${fn}: [B=${s.B}, D=${s.D}] exceeds 2^31 elements`);
  const extra = o.extra ?? 0;
  if (!(Number.isFinite(extra) && extra >= 0)) throw new Error(`${fn}: extra = ${o.extra}; pass a finite number >= 0`);
  for (const [name, slice, count, what] of operands) {
    if (slice.size < count * 4) {
      throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} ${what} but [B=${s.B}, D=${s.D}] needs ${count}`);
    }
  }
  return extra;
}

/** y [D] = Σ of the rows [B, D] whose mask (u32 [B]) is non-zero, divided by extra + their number. */
export function maskedMean(
  rec: Recorder,
  t: { rows: BufferSlice; mask: BufferSlice; y: BufferSlice },
  s: MaskedMeanShape,
  options: MaskedMeanOptions = {},
): void {
  const extra = check('maskedMean', s, options, [
    ['rows', t.rows, s.B * s.D, 'floats'],
    ['mask', t.mask, s.B, 'u32'],
    ['y', t.y, s.D, 'floats'],
  ]);
  maskedMeanKernel.dispatch(rec, { bind: t, uniforms: { B: s.B, D: s.D, extra }, grid: grid1d(rec.ctx, s.D, WG) });
}

export interface MaskedMeanBackwardOptions extends MaskedMeanOptions {
  /** dRows += the gradient instead of dRows = the gradient. */
  readonly accumulate?: boolean;
}

/** dRows [B, D] (+)= [mask[b] ≠ 0] · dy [D] / (extra + n). */
export function maskedMeanBackward(
  rec: Recorder,
  t: { mask: BufferSlice; dy: BufferSlice; dRows: BufferSlice },
  s: MaskedMeanShape,
  options: MaskedMeanBackwardOptions = {},
): void {
  const extra = check('maskedMeanBackward', s, options, [
    ['mask', t.mask, s.B, 'u32'],
    ['dy', t.dy, s.D, 'floats'],
    ['dRows', t.dRows, s.B * s.D, 'floats'],
  ]);
  maskedMeanBackwardKernel.dispatch(rec, {
    config: { accumulate: !!options.accumulate },
    bind: t,
    uniforms: { B: s.B, D: s.D, extra },
    grid: grid1d(rec.ctx, s.B * s.D, WG),
  });
}
