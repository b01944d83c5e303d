/**
 * One LSTM step of the controller in a single dispatch: the gate product and the cell fused,
 *
 *   pre = [x, h_prev] · W       W [Kx + H, 4H], gate blocks i | f | o | g, no bias (as lstm-cell.ts)
 *   c, h = lstmCell(pre, c_prev)
 *
 * One invocation per (b, j) accumulates its unit's four gate columns over x and h_prev, writes them to `pre` (the
 * cell's backward reads them: the backward of this step is lstmCellBackward and the matmul backward of the two
 * blocks, unchanged), then c and h. No tiling: meant for the controller's few rows (B = 1), where the separate
 * product, concatenation and cell cost three or four dispatches for a few thousand FMAs; for wide batches the
 * tiled matmul followed by lstmCell is the better pair.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkLstmFloats, checkLstmShape, LSTM_ACTIVATIONS_WGSL, type LstmCellShape } from './lstm-cell.js';

const WG = 64;

export interface LstmStepShape extends LstmCellShape {
  /** Width of the input x (the controller's: H). */
  readonly Kx: number;
}

export const lstmStepKernel = defineKernel({
  name: 'lstm_step',
  bindings: { x: read(), hPrev: read(), w: read(), cPrev: read(), pre: readWrite(), c: readWrite(), h: readWrite() },
  uniforms: { B: 'u32', H: 'u32', Kx: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
${LSTM_ACTIVATIONS_WGSL}
// The four gate columns j, H + j, 2H + j, 3H + j of W's row r.
fn gateColumns(r: u32, j: u32) -> vec4<f32> {
  let base = r * 4u * u.H + j;
  return vec4<f32>(w[base], w[base + u.H], w[base + 2u * u.H], w[base + 3u * u.H]);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg);
  if (k >= u.B * u.H) { return; }
  let b = k / u.H;
  let j = k - b * u.H;
  var gates = vec4<f32>(0.0); // pre-activations i, f, o, g of unit j
  for (var r = 0u; r < u.Kx; r = r + 1u) {
    gates = fma(vec4<f32>(x[b * u.Kx + r]), gateColumns(r, j), gates);
  }
  for (var r = 0u; r < u.H; r = r + 1u) {
    gates = fma(vec4<f32>(hPrev[b * u.H + r]), gateColumns(u.Kx + r, j), gates);
  }
  let row = b * 4u * u.H + j;
  pre[row] = gates.x;
  pre[row + u.H] = gates.y;
  pre[row + 2u * u.H] = gates.z;
  pre[row + 3u * u.H] = gates.w;
  let i = sigmoid(gates.x);
  let f = sigmoid(gates.y);
  let o = sigmoid(gates.z);
  let g = tanh_(gates.w);
  let cNew = fma(f, cPrev[k], i * g);
  c[k] = cNew;
  h[k] = o * tanh_(cNew);
}`,
});

export interface LstmStepOperands {
  /** [B, Kx] */
  readonly x: BufferSlice;
  /** [B, H] */
  readonly hPrev: BufferSlice;
  /** [Kx + H, 4H], rows of x first. */
  readonly w: BufferSlice;
  /** [B, H] */
  readonly cPrev: BufferSlice;
  /** Written: the gate pre-activations [B, 4H], for the backward. */
  readonly pre: BufferSlice;
  /** Written: [B, H] each. */
  readonly c: BufferSlice;
  readonly h: BufferSlice;
}

/** pre = [x, h_prev]·W, then c, h = lstmCell(pre, c_prev), in one dispatch. */
export function lstmStep(rec: Recorder, t: LstmStepOperands, s: LstmStepShape): void {
  const fn = 'lstmStep';
  checkLstmShape(fn, s);
  if (!Number.isInteger(s.Kx) || s.Kx < 1) throw new Error(`${fn}: Kx = ${s.Kx}; the input width must be a positive integer`);
  const n = s.B * s.H;
  if (t.x.size < s.B * s.Kx * 4) {
    throw new Error(`${fn}: x holds ${Math.floor(t.x.size / 4)} floats but must be [B=${s.B}, Kx=${s.Kx}] = ${s.B * s.Kx}`);
  }
  if (t.w.size < (s.Kx + s.H) * 4 * s.H * 4) {
    throw new Error(
      `${fn}: w holds ${Math.floor(t.w.size / 4)} floats but must be [Kx + H = ${s.Kx + s.H}, 4H = ${4 * s.H}] = ${(s.Kx + s.H) * 4 * s.H}`,
    );
  }
  checkLstmFloats(fn, 'pre', t.pre, 4 * n, s);
  for (const name of ['hPrev', 'cPrev', 'c', 'h'] as const) checkLstmFloats(fn, name, t[name], n, s);
  lstmStepKernel.dispatch(rec, { bind: t, uniforms: { B: s.B, H: s.H, Kx: s.Kx }, grid: grid1d(rec.ctx, n, WG) });
}
