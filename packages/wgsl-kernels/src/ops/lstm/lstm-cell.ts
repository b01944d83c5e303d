/**
 * The LSTM cell of the ENAS controller, after its gate matmul. The official code (`src/common_ops.py` L5-14, see
 * /work/shared/reference/enas-reference-implementations.md a.0) has no bias and no peepholes:
 *
 *   ifog = [x, h_prev] · W            (the matmul kernel; W is [2·lstm_size, 4·lstm_size])
 *   i, f, o, g = split(ifog, 4, axis=1)   → pre-activations [B, 4H], gate blocks in the order i | f | o | g
 *   c = σ(f)·c_prev + σ(i)·tanh(g)
 *   h = σ(o)·tanh(c)
 *
 * One invocation per (b, j) reads its four gate pre-activations and writes c and h. The backward recomputes the
 * gate activations and tanh(c) from the forward's pre-activations and c (four transcendentals per unit) rather than
 * having the forward store another [B, 4H] tensor per time step.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { UNARY_OPS } from '../elementwise/unary-ops.js';

const WG = 64;

export interface LstmCellShape {
  /** Batch rows. */
  readonly B: number;
  /** Hidden size (lstm_size); the pre-activations are [B, 4H]. */
  readonly H: number;
}

/**
 * What forward and backward both compute for element k = (b, j): where its gate row starts in the pre-activations
 * and the four activated gates. The activations come from the shared table, so the cell saturates exactly as
 * `unary` does. Needs a `pre` binding and uniform H.
 */
/** The cell's activations, from the shared table so the cell saturates exactly as `unary` does. */
export const LSTM_ACTIVATIONS_WGSL = /* wgsl */ `
fn sigmoid(x: f32) -> f32 { return ${UNARY_OPS.sigmoid.forward}; }
fn tanh_(x: f32) -> f32 { return ${UNARY_OPS.tanh.forward}; }
`;

const GATES_WGSL = /* wgsl */ `
${LSTM_ACTIVATIONS_WGSL}
struct Gates { row: u32, i: f32, f: f32, o: f32, g: f32 }
fn gatesAt(k: u32) -> Gates {
  let b = k / u.H;
  let row = b * 4u * u.H + (k - b * u.H);
  return Gates(row, sigmoid(pre[row]), sigmoid(pre[row + u.H]), sigmoid(pre[row + 2u * u.H]), tanh_(pre[row + 3u * u.H]));
}
`;

export const lstmCellKernel = defineKernel({
  name: 'lstm_cell',
  bindings: { pre: read(), cPrev: read(), c: readWrite(), h: readWrite() },
  uniforms: { B: 'u32', H: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
${GATES_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg);
  if (k >= u.B * u.H) { return; }
  let q = gatesAt(k);
  let cNew = fma(q.f, cPrev[k], q.i * q.g);
  c[k] = cNew;
  h[k] = q.o * tanh_(cNew);
}`,
});

export interface LstmCellBackwardConfig {
  /** A gradient dc from the next time step is given (absent at the last step). */
  readonly hasDc: boolean;
  readonly accumulatePre: boolean;
  readonly accumulateCPrev: boolean;
}

export const lstmCellBackwardKernel = defineKernel({
  name: 'lstm_cell_backward',
  bindings: { pre: read(), cPrev: read(), c: read(), dh: read(), dc: read(), dPre: readWrite(), dcPrev: readWrite() },
  uniforms: { B: 'u32', H: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (cfg: LstmCellBackwardConfig) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${GATES_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg);
  if (k >= u.B * u.H) { return; }
  let q = gatesAt(k);
  let row = q.row;
  let tc = tanh_(c[k]);
  let dhk = dh[k];
  // Total gradient reaching c: through h = o·tanh(c), plus the next step's dc.
  let dcTotal = ${cfg.hasDc ? 'dc[k] + ' : ''}dhk * q.o * (1.0 - tc * tc);
  let di = dcTotal * q.g * q.i * (1.0 - q.i);
  let df = dcTotal * cPrev[k] * q.f * (1.0 - q.f);
  let dO = dhk * tc * q.o * (1.0 - q.o);
  let dg = dcTotal * q.i * (1.0 - q.g * q.g);
  ${
    cfg.accumulatePre
      ? `dPre[row] = dPre[row] + di;
  dPre[row + u.H] = dPre[row + u.H] + df;
  dPre[row + 2u * u.H] = dPre[row + 2u * u.H] + dO;
  dPre[row + 3u * u.H] = dPre[row + 3u * u.H] + dg;`
      : `dPre[row] = di;
  dPre[row + u.H] = df;
  dPre[row + 2u * u.H] = dO;
  dPre[row + 3u * u.H] = dg;`
  }
  ${cfg.accumulateCPrev ? 'dcPrev[k] = dcPrev[k] + dcTotal * q.f;' : 'dcPrev[k] = dcTotal * q.f;'}
}`,
});

export function checkLstmShape(fn: string, s: LstmCellShape): void {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; B and H must be positive integers`);
  }
  if (s.B * s.H * 4 > 2 ** 31) throw new Error(`${fn}: [B=${s.B}, 4H=${4 * s.H}] exceeds 2^31 elements`);
}

export function checkLstmFloats(fn: string, name: string, slice: BufferSlice, count: number, s: LstmCellShape): void {
  if (slice.size < count * 4) {
    const dims = count === s.B * s.H ? `[B=${s.B}, H=${s.H}]` : `[B=${s.B}, 4H=${4 * s.H}]`;
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but must be ${dims} = ${count}`);
  }
}

/** c, h [B, H] from the gate pre-activations [B, 4H] (blocks i | f | o | g) and c_prev [B, H]. */
export function lstmCell(
  rec: Recorder,
  t: { pre: BufferSlice; cPrev: BufferSlice; c: BufferSlice; h: BufferSlice },
  s: LstmCellShape,
): void {
  const fn = 'lstmCell';
  checkLstmShape(fn, s);
  checkLstmFloats(fn, 'pre', t.pre, 4 * s.B * s.H, s);
  for (const name of ['cPrev', 'c', 'h'] as const) checkLstmFloats(fn, name, t[name], s.B * s.H, s);
  lstmCellKernel.dispatch(rec, { bind: t, uniforms: { B: s.B, H: s.H }, grid: grid1d(rec.ctx, s.B * s.H, WG) });
}

export interface LstmCellGradients {
  /** Forward inputs and output: pre-activations [B, 4H], c_prev and c [B, H]. */
  readonly pre: BufferSlice;
  readonly cPrev: BufferSlice;
  readonly c: BufferSlice;
  /** Gradient of h [B, H]. */
  readonly dh: BufferSlice;
  /** Gradient of c from the next time step [B, H]; omitted at the last step. */
  readonly dc?: BufferSlice;
  /** Written: gradient of the pre-activations [B, 4H] (then the matmul backward gives dW, dx, dh_prev). */
  readonly dPre: BufferSlice;
  /**
   * Written: gradient of c_prev [B, H]. Always written (pass a scratch slice when c_prev is a constant): one more
   * kernel variant for a [B, H] write that costs next to nothing is not worth it.
   */
  readonly dcPrev: BufferSlice;
}

export interface LstmCellBackwardOptions {
  readonly accumulatePre?: boolean;
  readonly accumulateCPrev?: boolean;
}

export function lstmCellBackward(rec: Recorder, t: LstmCellGradients, s: LstmCellShape, options: LstmCellBackwardOptions = {}): void {
  const fn = 'lstmCellBackward';
  checkLstmShape(fn, s);
  checkLstmFloats(fn, 'pre', t.pre, 4 * s.B * s.H, s);
  checkLstmFloats(fn, 'dPre', t.dPre, 4 * s.B * s.H, s);
  for (const name of ['cPrev', 'c', 'dh', 'dc', 'dcPrev'] as const) {
    const slice = t[name];
    if (slice) checkLstmFloats(fn, name, slice, s.B * s.H, s);
  }
  const config: LstmCellBackwardConfig = {
    hasDc: !!t.dc,
    accumulatePre: !!options.accumulatePre,
    accumulateCPrev: !!options.accumulateCPrev,
  };
  const bind = { pre: t.pre, cPrev: t.cPrev, c: t.c, dh: t.dh, dc: t.dc ?? unusedBinding(rec.ctx), dPre: t.dPre, dcPrev: t.dcPrev };
  lstmCellBackwardKernel.dispatch(rec, { config, bind, uniforms: { B: s.B, H: s.H }, grid: grid1d(rec.ctx, s.B * s.H, WG) });
}
