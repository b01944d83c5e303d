/**
 * The highway mix of every node of the ENAS recurrent cell (enas_lm `child.py` `_rnn_fn`; reference notes a.1):
 *
 *   [h_pre, t_pre] = (s_p ⊙ mask) · W           (the matmul kernel, one product for both halves)
 *   c   = σ(t_pre)
 *   out = s + c ⊙ (f(h_pre) − s)                f ∈ {tanh, relu, sigmoid, identity}
 *
 * The two pre-activations live in one buffer `pre`, as the matmul writes them: layout 'rows' is [B, 2H] with each
 * row h | t (the official `tf.split(..., 2, axis=1)`); 'blocks' is [2, B, H], all of h then all of t. One
 * binding rather than two because the backward writes both halves, and WebGPU forbids two writable bindings of
 * one buffer range in a dispatch.
 *
 * The backward recomputes f(h_pre) and σ(t_pre) (two elementwise transcendentals) instead of having the forward
 * store two more [B, H] tensors per node and time step.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { UNARY_OPS, type UnaryOp } from '../elementwise/unary-ops.js';

const WG = 64;

export interface HighwayShape {
  readonly B: number;
  /** Hidden size: s and out are [B, H], pre is 2·B·H. */
  readonly H: number;
}

/** Where h_pre and t_pre sit in `pre`: 'rows' = [B, 2H] (h | t per row), 'blocks' = [2, B, H]. */
export type HighwayLayout = 'rows' | 'blocks';

const PRE_INDEX_WGSL = /* wgsl */ `
// Index of h_pre(b, j) in pre; t_pre(b, j) is u.tOffset further.
fn preIndex(k: u32) -> u32 {
  let b = k / u.H;
  return b * u.preStride + (k - b * u.H);
}`;

const activationWgsl = (f: UnaryOp) => /* wgsl */ `
fn f(x: f32) -> f32 { return ${UNARY_OPS[f].forward}; }
fn df(x: f32, y: f32, dy: f32) -> f32 { return ${UNARY_OPS[f].backward}; }
fn sigmoid(x: f32) -> f32 { return ${UNARY_OPS.sigmoid.forward}; }`;

export const highwayKernel = defineKernel({
  name: 'highway',
  bindings: { pre: read(), s: read(), out: readWrite() },
  uniforms: { B: 'u32', H: 'u32', preStride: 'u32', tOffset: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { activation: UnaryOp }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${PRE_INDEX_WGSL}
${activationWgsl(c.activation)}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg);
  if (k >= u.B * u.H) { return; }
  let p = preIndex(k);
  let gate = sigmoid(pre[p + u.tOffset]);
  let prev = s[k];
  out[k] = fma(gate, f(pre[p]) - prev, prev);
}`,
});

interface HighwayBackwardConfig {
  readonly activation: UnaryOp;
  readonly accumulatePre: boolean;
  readonly accumulateS: boolean;
}

export const highwayBackwardKernel = defineKernel({
  name: 'highway_backward',
  bindings: { pre: read(), s: read(), dOut: read(), dPre: readWrite(), ds: readWrite() },
  uniforms: { B: 'u32', H: 'u32', preStride: 'u32', tOffset: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: HighwayBackwardConfig) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${PRE_INDEX_WGSL}
${activationWgsl(c.activation)}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg);
  if (k >= u.B * u.H) { return; }
  let p = preIndex(k);
  let h = pre[p];
  let gate = sigmoid(pre[p + u.tOffset]);
  let fh = f(h);
  let prev = s[k];
  let g = dOut[k];
  let dh = df(h, fh, g * gate);
  let dt = g * (fh - prev) * gate * (1.0 - gate);
  let dPrev = g * (1.0 - gate);
  ${
    c.accumulatePre
      ? `dPre[p] = dPre[p] + dh;
  dPre[p + u.tOffset] = dPre[p + u.tOffset] + dt;`
      : `dPre[p] = dh;
  dPre[p + u.tOffset] = dt;`
  }
  ${c.accumulateS ? 'ds[k] = ds[k] + dPrev;' : 'ds[k] = dPrev;'}
}`,
});

function layoutUniforms(fn: string, s: HighwayShape, layout: HighwayLayout): { B: number; H: number; preStride: number; tOffset: number } {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; B and H must be positive integers`);
  }
  if (2 * s.B * s.H > 2 ** 31) throw new Error(`${fn}: [B=${s.B}, 2H=${2 * s.H}] exceeds 2^31 elements`);
  if (layout === 'rows') return { B: s.B, H: s.H, preStride: 2 * s.H, tOffset: s.H };
  if (layout === 'blocks') return { B: s.B, H: s.H, preStride: s.H, tOffset: s.B * s.H };
  throw new Error(`${fn}: layout '${layout}' is not 'rows' ([B, 2H], h | t per row) or 'blocks' ([2, B, H])`);
}

function checkFloats(fn: string, name: string, slice: BufferSlice, count: number, s: HighwayShape): void {
  if (slice.size < count * 4) {
    const dims = count === s.B * s.H ? `[B=${s.B}, H=${s.H}]` : `2·B·H (B=${s.B}, H=${s.H})`;
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but must be ${dims} = ${count}`);
  }
}

function checkActivation(fn: string, activation: UnaryOp): void {
  if (!(activation in UNARY_OPS)) {
    throw new Error(`${fn}: activation '${activation}' is not one of ${Object.keys(UNARY_OPS).join(', ')}`);
  }
}

export interface HighwayOptions {
  /** f, from the activation table (the ENAS LM's set is tanh, relu, sigmoid, identity). */
  readonly activation: UnaryOp;
  /** Default 'rows'. */
  readonly layout?: HighwayLayout;
}

/** out [B, H] = s + σ(t_pre) ⊙ (f(h_pre) − s), with h_pre and t_pre read from `pre` by `layout`. */
export function highway(
  rec: Recorder,
  t: { pre: BufferSlice; s: BufferSlice; out: BufferSlice },
  shape: HighwayShape,
  options: HighwayOptions,
): void {
  const fn = 'highway';
  checkActivation(fn, options.activation);
  const u = layoutUniforms(fn, shape, options.layout ?? 'rows');
  checkFloats(fn, 'pre', t.pre, 2 * shape.B * shape.H, shape);
  checkFloats(fn, 's', t.s, shape.B * shape.H, shape);
  checkFloats(fn, 'out', t.out, shape.B * shape.H, shape);
  highwayKernel.dispatch(rec, {
    config: { activation: options.activation },
    bind: t,
    uniforms: u,
    grid: grid1d(rec.ctx, shape.B * shape.H, WG),
  });
}

export interface HighwayBackwardOptions extends HighwayOptions {
  /** dPre += instead of = (both halves). */
  readonly accumulatePre?: boolean;
  /** ds += instead of =: s usually feeds several nodes. */
  readonly accumulateS?: boolean;
}

/** dPre (same layout as pre: dh_pre and dt_pre) and ds from dOut, recomputing f(h_pre) and σ(t_pre). */
export function highwayBackward(
  rec: Recorder,
  t: { pre: BufferSlice; s: BufferSlice; dOut: BufferSlice; dPre: BufferSlice; ds: BufferSlice },
  shape: HighwayShape,
  options: HighwayBackwardOptions,
): void {
  const fn = 'highwayBackward';
  checkActivation(fn, options.activation);
  const u = layoutUniforms(fn, shape, options.layout ?? 'rows');
  checkFloats(fn, 'pre', t.pre, 2 * shape.B * shape.H, shape);
  checkFloats(fn, 'dPre', t.dPre, 2 * shape.B * shape.H, shape);
  for (const name of ['s', 'dOut', 'ds'] as const) checkFloats(fn, name, t[name], shape.B * shape.H, shape);
  highwayBackwardKernel.dispatch(rec, {
    config: { activation: options.activation, accumulatePre: !!options.accumulatePre, accumulateS: !!options.accumulateS },
    bind: t,
    uniforms: u,
    grid: grid1d(rec.ctx, shape.B * shape.H, WG),
  });
}
