/**
 * Depthwise conv2d (channel multiplier 1), the first half of ENAS's separable convolutions (depthwise k×k, then a
 * pointwise 1×1 conv2d):
 *
 *   y[b, c, oy, ox] = Σ_{ky, kx} w[c, ky, kx] · x[b, c, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * and its grad-input, a gather like conv2d's: dx[b, c, iy, ix] = Σ w[c, ky, kx] · dy[b, c, oy, ox] over the taps
 * with oy·s + ky − padTop = iy. Only k·k products per element and no reuse across channels: these are
 * memory-bound. Each thread computes four neighbouring elements of a row, whose windows overlap: it loads each
 * input (or dy) column they share once, (4 − 1)·s + k per row instead of 4·k, and neighbouring threads cover
 * neighbouring quads of the row, so a warp's reads and writes stay contiguous.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
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
  /** Forward: the input is read through ReLU. Grad-input: the result is masked by x > 0 (see conv2d.ts). */
  readonly inputRelu: boolean;
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
  /** Threads of the dispatch: N·C·Hout·⌈Wout / 4⌉ forward, N·C·H·⌈W / 4⌉ grad-input. */
  count: 'u32',
} as const;

/** Outputs per thread along a row: their windows overlap, so a thread loads (4 − 1)·s + k inputs per row, not 4·k. */
const QUAD = 4;

export const depthwiseConv2dKernel = defineKernel({
  name: 'depthwise_conv2d',
  bindings: { x: read(), w: read(), y: readWrite() },
  uniforms: { ...uniforms, quads: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: DepthwiseConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}
${FLAT_INDEX_WGSL}
const QUAD: u32 = ${QUAD}u;
const SPAN: u32 = ${(QUAD - 1) * c.stride + c.k}u;

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.count) { return; }
  // Thread i computes outputs ox0 .. ox0 + 3 of output row (plane, oy), plane = b·C + c.
  let row = i / u.quads;
  let ox0 = (i - row * u.quads) * QUAD;
  let plane = row / u.Hout;
  let oy = row - plane * u.Hout;
  let iy0 = i32(oy * S) - i32(u.padTop);
  let ix0 = i32(ox0 * S) - i32(u.padLeft);
  let wBase = (plane % u.C) * KK;
  var acc: array<f32, QUAD>;
  for (var ky = 0u; ky < KS; ky = ky + 1u) {
    let iy = iy0 + i32(ky);
    ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(iy) >= u.H) { continue; }' : ''}
    let rowBase = plane * u.HW + u32(iy) * u.W;
    // The inputs under all four windows; columns past the row (padding, or windows of outputs past Wout that are
    // never stored) are clamped into it so every read stays in bounds, and zeroed where they are padding.
    var xs: array<f32, SPAN>;
    for (var t = 0u; t < SPAN; t = t + 1u) {
      let ix = u32(ix0 + i32(t));
      ${needsBoundsCheck(c.k, c.padding) ? `xs[t] = select(0.0, ${c.inputRelu ? 'max(x[rowBase + min(ix, u.W - 1u)], 0.0)' : 'x[rowBase + min(ix, u.W - 1u)]'}, ix < u.W);` : `xs[t] = ${c.inputRelu ? 'max(x[rowBase + min(ix, u.W - 1u)], 0.0)' : 'x[rowBase + min(ix, u.W - 1u)]'};`}
    }
    for (var kx = 0u; kx < KS; kx = kx + 1u) {
      let wv = w[wBase + ky * KS + kx];
      for (var v = 0u; v < QUAD; v = v + 1u) {
        acc[v] = fma(wv, xs[v * S + kx], acc[v]);
      }
    }
  }
  let out = row * u.Wout + ox0;
  for (var v = 0u; v < min(QUAD, u.Wout - ox0); v = v + 1u) {
    ${c.accumulate ? 'y[out + v] = y[out + v] + acc[v];' : 'y[out + v] = acc[v];'}
  }
}`,
});

export const depthwiseConv2dBackwardInputKernel = defineKernel({
  name: 'depthwise_conv2d_backward_input',
  // x: the forward's input, read only for the ReLU mask (the unused range otherwise).
  bindings: { w: read(), dy: read(), x: read(), dx: readWrite() },
  uniforms: { ...uniforms, quads: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: Omit<DepthwiseConfig, 'padding'>) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}
${FLAT_INDEX_WGSL}
const QUAD: u32 = ${QUAD}u;
// dy columns the taps of four neighbouring pixels can reach: the multiples of s among QUAD + k − 1 integers.
const SPAN: u32 = ${Math.floor((QUAD + c.k - 2) / c.stride) + 1}u;

// ⌈a / b⌉ for b > 0 and any sign of a (WGSL's division truncates toward zero).
fn ceilDiv(a: i32, b: i32) -> i32 {
  return select(a / b, (a + b - 1) / b, a > 0);
}

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.count) { return; }
  // Thread i computes pixels ix0 .. ix0 + 3 of input row (plane, iy).
  let row = i / u.quads;
  let ix0 = (i - row * u.quads) * QUAD;
  let plane = row / u.H;
  let iy = row - plane * u.H;
  // Tap (ky, kx) of output (oy, ox) covered pixel (iy, ix) when oy·s = iy + padTop − ky and ox·s = ix + padLeft − kx.
  let ty0 = i32(iy + u.padTop);
  let tx0 = i32(ix0 + u.padLeft);
  // The first output column a tap of these pixels can come from.
  let oxLo = ceilDiv(tx0 - i32(KS - 1u), i32(S));
  let wBase = (plane % u.C) * KK;
  var acc: array<f32, QUAD>;
  for (var ky = 0u; ky < KS; ky = ky + 1u) {
    let ty = ty0 - i32(ky);
    ${c.stride > 1 ? 'if (ty % i32(S) != 0) { continue; }' : ''}
    // Negative ty wraps to a huge u32 and fails the range test with the too-large ones.
    let oy = u32(ty) / S;
    if (oy >= u.Hout) { continue; }
    let rowBase = (plane * u.Hout + oy) * u.Wout;
    var ys: array<f32, SPAN>;
    for (var t = 0u; t < SPAN; t = t + 1u) {
      let ox = u32(oxLo + i32(t));
      ys[t] = select(0.0, dy[rowBase + min(ox, u.Wout - 1u)], ox < u.Wout);
    }
    for (var kx = 0u; kx < KS; kx = kx + 1u) {
      let wv = w[wBase + ky * KS + kx];
      for (var v = 0u; v < QUAD; v = v + 1u) {
        let tx = tx0 + i32(v) - i32(kx);
        ${c.stride > 1 ? 'if (tx % i32(S) != 0) { continue; }' : ''}
        acc[v] = fma(wv, ys[u32(tx / i32(S) - oxLo)], acc[v]);
      }
    }
  }
  let out = row * u.W + ix0;
  for (var v = 0u; v < min(QUAD, u.W - ix0); v = v + 1u) {
    ${c.inputRelu ? 'let g = select(0.0, acc[v], x[out + v] > 0.0);' : 'let g = acc[v];'}
    ${c.accumulate ? 'dx[out + v] = dx[out + v] + g;' : 'dx[out + v] = g;'}
  }
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
  /** Convolve relu(x), the ReLU applied as x is read; the backward passes take the same flag (see conv2d.ts). */
  readonly inputRelu?: boolean;
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
  const quads = Math.ceil(s.Wout / QUAD);
  const count = s.N * s.C * s.Hout * quads;
  depthwiseConv2dKernel.dispatch(rec, {
    config: { k: s.k, stride: s.stride, padding: s.padding, accumulate: !!options.accumulate, inputRelu: !!options.inputRelu },
    bind: t,
    uniforms: { ...depthwiseUniforms(s, count), quads },
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
  /** The forward's input [N, C, H, W]; needed with `inputRelu` (its sign masks dx). */
  readonly x?: BufferSlice;
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
  const inputRelu = !!options.inputRelu;
  if (inputRelu && !t.x) throw new Error(`${fn}: inputRelu needs x, the forward's input, for the ReLU mask (${s.text})`);
  if (t.x) checkOperand(fn, 'x', t.x, s.N * s.C * s.HW, 'N·C·H·W', s.text);
  checkNoOverlap(
    fn,
    ['dx', t.dx],
    [
      ['w', t.w],
      ['dy', t.dy],
      ['x', t.x],
    ],
  );
  const quads = Math.ceil(s.W / QUAD);
  const count = s.N * s.C * s.H * quads;
  // Every gather is range-checked and the offsets are uniforms: the padding mode is not part of the key.
  depthwiseConv2dBackwardInputKernel.dispatch(rec, {
    config: { k: s.k, stride: s.stride, accumulate: !!options.accumulate, inputRelu },
    bind: { w: t.w, dy: t.dy, x: inputRelu ? (t.x as BufferSlice) : unusedBinding(rec.ctx), dx: t.dx },
    uniforms: { ...depthwiseUniforms(s, count), quads },
    grid: grid1d(rec.ctx, count, WG),
  });
}
