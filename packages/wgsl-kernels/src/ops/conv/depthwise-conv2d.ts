/**
 * Depthwise conv2d (channel multiplier 1), the first half of ENAS's separable convolutions (depthwise k×k, then a
 * pointwise 1×1 conv2d):
 *
 *   y[b, c, oy, ox] = Σ_{ky, kx} w[c, ky, kx] · x[b, c, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * and its grad-input, a gather like conv2d's: dx[b, c, iy, ix] = Σ w[c, ky, kx] · dy[b, c, oy, ox] over the taps
 * with oy·s + ky − padTop = iy. Only k·k products per element and no reuse across channels: these are
 * memory-bound, so one thread per element, coalesced along the row, with the k·k loop compiled in.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import {
  type ConvPadding,
  checkNoOverlap,
  checkOperand,
  type DepthwiseConv2dShape,
  needsBoundsCheck,
  resolveDepthwiseShape,
} from './conv-shape.js';
import { convConstantsWgsl } from './implicit-gemm.js';

const WG = 256;

export interface DepthwiseConfig {
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
  readonly accumulate: boolean;
}

const uniforms = {
  C: 'u32',
  H: 'u32',
  W: 'u32',
  HW: 'u32',
  Hout: 'u32',
  Wout: 'u32',
  HWout: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
  /** Elements this dispatch writes (N·C·Hout·Wout forward, N·C·H·W grad-input). */
  count: 'u32',
} as const;

export const depthwiseConv2dKernel = defineKernel({
  name: 'depthwise_conv2d',
  bindings: { x: read(), w: read(), y: readWrite() },
  uniforms,
  workgroupSize: [WG, 1, 1],
  wgsl: (c: DepthwiseConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.count) { return; }
  let plane = i / u.HWout; // b·C + c
  let p = i - plane * u.HWout;
  let oy = p / u.Wout;
  let iy0 = i32(oy * S) - i32(u.padTop);
  let ix0 = i32((p - oy * u.Wout) * S) - i32(u.padLeft);
  let xBase = plane * u.HW;
  let wBase = (plane % u.C) * KK;
  var s = 0.0;
  for (var ky = 0u; ky < KS; ky = ky + 1u) {
    let iy = iy0 + i32(ky);
    ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(iy) >= u.H) { continue; }' : ''}
    for (var kx = 0u; kx < KS; kx = kx + 1u) {
      let ix = ix0 + i32(kx);
      ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(ix) >= u.W) { continue; }' : ''}
      s = fma(w[wBase + ky * KS + kx], x[xBase + u32(iy) * u.W + u32(ix)], s);
    }
  }
  ${c.accumulate ? 'y[i] = y[i] + s;' : 'y[i] = s;'}
}`,
});

export const depthwiseConv2dBackwardInputKernel = defineKernel({
  name: 'depthwise_conv2d_backward_input',
  bindings: { w: read(), dy: read(), dx: readWrite() },
  uniforms,
  workgroupSize: [WG, 1, 1],
  wgsl: (c: Omit<DepthwiseConfig, 'padding'>) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.count) { return; }
  let plane = i / u.HW;
  let p = i - plane * u.HW;
  let iy = p / u.W;
  // Tap (ky, kx) of output (oy, ox) covered this pixel when oy = (iy + padTop − ky) / s is whole and inside the
  // output; negative values wrap to huge u32 and fail the range test.
  let ty0 = i32(iy + u.padTop);
  let tx0 = i32(p - iy * u.W + u.padLeft);
  let yBase = plane * u.HWout;
  let wBase = (plane % u.C) * KK;
  var s = 0.0;
  for (var ky = 0u; ky < KS; ky = ky + 1u) {
    let ty = ty0 - i32(ky);
    ${c.stride > 1 ? 'if (ty % i32(S) != 0) { continue; }' : ''}
    let oy = u32(ty) / S;
    if (oy >= u.Hout) { continue; }
    for (var kx = 0u; kx < KS; kx = kx + 1u) {
      let tx = tx0 - i32(kx);
      ${c.stride > 1 ? 'if (tx % i32(S) != 0) { continue; }' : ''}
      let ox = u32(tx) / S;
      if (ox >= u.Wout) { continue; }
      s = fma(w[wBase + ky * KS + kx], dy[yBase + oy * u.Wout + ox], s);
    }
  }
  ${c.accumulate ? 'dx[i] = dx[i] + s;' : 'dx[i] = s;'}
}`,
});

function depthwiseUniforms(s: ReturnType<typeof resolveDepthwiseShape>, count: number) {
  return {
    C: s.C,
    H: s.H,
    W: s.W,
    HW: s.HW,
    Hout: s.Hout,
    Wout: s.Wout,
    HWout: s.HWout,
    padTop: s.padTop,
    padLeft: s.padLeft,
    count,
  };
}

export interface DepthwiseConv2dOperands {
  /** Input [N, C, H, W]. */
  readonly x: BufferSlice;
  /** Weights [C, k, k]. */
  readonly w: BufferSlice;
  /** Output [N, C, Hout, Wout]. */
  readonly y: BufferSlice;
}

export interface DepthwiseOptions {
  /** Add into the output instead of overwriting it. */
  readonly accumulate?: boolean;
}

/** Records y = depthwiseConv2d(x, w) (or y += it). */
export function depthwiseConv2d(
  rec: Recorder,
  t: DepthwiseConv2dOperands,
  shape: DepthwiseConv2dShape,
  options: DepthwiseOptions = {},
): void {
  const fn = 'depthwiseConv2d';
  const s = resolveDepthwiseShape(fn, shape);
  checkOperand(fn, 'x', t.x, s.N * s.C * s.HW, 'N·C·H·W', s.text);
  checkOperand(fn, 'w', t.w, s.C * s.KK, 'C·k·k', s.text);
  checkOperand(fn, 'y', t.y, s.N * s.C * s.HWout, `N·C·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkNoOverlap(
    fn,
    ['y', t.y],
    [
      ['x', t.x],
      ['w', t.w],
    ],
  );
  const count = s.N * s.C * s.HWout;
  depthwiseConv2dKernel.dispatch(rec, {
    config: { k: s.k, stride: s.stride, padding: s.padding, accumulate: !!options.accumulate },
    bind: t,
    uniforms: depthwiseUniforms(s, count),
    grid: grid1d(rec.ctx, count, WG),
  });
}

export interface DepthwiseConv2dBackwardInputOperands {
  /** Weights [C, k, k]. */
  readonly w: BufferSlice;
  /** Output gradient [N, C, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Input gradient [N, C, H, W], written (or added to with `accumulate`). */
  readonly dx: BufferSlice;
}

/** Records dx = ∂(y·dy)/∂x of y = depthwiseConv2d(x, w) (or dx += it). */
export function depthwiseConv2dBackwardInput(
  rec: Recorder,
  t: DepthwiseConv2dBackwardInputOperands,
  shape: DepthwiseConv2dShape,
  options: DepthwiseOptions = {},
): void {
  const fn = 'depthwiseConv2dBackwardInput';
  const s = resolveDepthwiseShape(fn, shape);
  checkOperand(fn, 'w', t.w, s.C * s.KK, 'C·k·k', s.text);
  checkOperand(fn, 'dy', t.dy, s.N * s.C * s.HWout, `N·C·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkOperand(fn, 'dx', t.dx, s.N * s.C * s.HW, 'N·C·H·W', s.text);
  checkNoOverlap(
    fn,
    ['dx', t.dx],
    [
      ['w', t.w],
      ['dy', t.dy],
    ],
  );
  const count = s.N * s.C * s.HW;
  // Every gather is range-checked and the offsets are uniforms: the padding mode is not part of the key.
  depthwiseConv2dBackwardInputKernel.dispatch(rec, {
    config: { k: s.k, stride: s.stride, accumulate: !!options.accumulate },
    bind: t,
    uniforms: depthwiseUniforms(s, count),
    grid: grid1d(rec.ctx, count, WG),
  });
}
