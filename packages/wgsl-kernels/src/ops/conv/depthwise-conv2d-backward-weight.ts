/**
 * Depthwise conv2d grad-weight:
 *
 *   dw[c, ky, kx] = Σ_{b, oy, ox} dy[b, c, oy, ox] · x[b, c, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * k·k sums per channel, each over batch·Hout·Wout terms. One workgroup of 64 threads per (channel, split of the
 * batch): each thread keeps k·k running sums over its positions, then the workgroup adds them in a tree through
 * workgroup memory (k·k·64 floats, 12.5 KiB at k = 7). Splits of the batch add up in sumPartials.
 *
 * Threads cover the [images × rows × columns] block as lanesX × lanesY × lanesB (powers of two fitted to the
 * output plane), so 8×8 and 32×32 planes keep every thread busy and the loops need no division.
 */
import type { GpuContext } from '../../device/context.js';
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
import { planeLanes, planSplits, type SplitPlan, sumPartials, workspaceFor } from './split-reduction.js';

const WG = 64;

export interface DepthwiseBackwardWeightConfig {
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
  readonly partial: boolean;
  readonly accumulate: boolean;
  /** The forward convolved relu(x): read x through ReLU. */
  readonly inputRelu: boolean;
}

export const depthwiseConv2dBackwardWeightKernel = defineKernel({
  name: 'depthwise_conv2d_backward_weight',
  bindings: { x: read(), dy: read(), out: readWrite() },
  uniforms: {
    N: 'u32',
    C: 'u32',
    H: 'u32',
    W: 'u32',
    HW: 'u32',
    Hout: 'u32',
    Wout: 'u32',
    HWout: 'u32',
    padTop: 'u32',
    padLeft: 'u32',
    lanesX: 'u32',
    lanesY: 'u32',
    imagesPerSplit: 'u32',
  },
  workgroupSize: [WG, 1, 1],
  workgroupMemoryBytes: (c: DepthwiseBackwardWeightConfig) => c.k * c.k * WG * 4,
  wgsl: (c: DepthwiseBackwardWeightConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}
var<workgroup> sums: array<f32, ${c.k * c.k * WG}>; // sums[r · WG_X + thread] for tap r

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let ch = wid.x;
  let lx = lid.x % u.lanesX;
  let ly = (lid.x / u.lanesX) % u.lanesY;
  let lanesXY = u.lanesX * u.lanesY;
  let bEnd = min((wid.y + 1u) * u.imagesPerSplit, u.N);
  var acc: array<f32, KK>;
  for (var b = wid.y * u.imagesPerSplit + lid.x / lanesXY; b < bEnd; b = b + WG_X / lanesXY) {
    let plane = b * u.C + ch;
    for (var oy = ly; oy < u.Hout; oy = oy + u.lanesY) {
      let iy0 = i32(oy * S) - i32(u.padTop);
      for (var ox = lx; ox < u.Wout; ox = ox + u.lanesX) {
        let g = dy[plane * u.HWout + oy * u.Wout + ox];
        let ix0 = i32(ox * S) - i32(u.padLeft);
        for (var ky = 0u; ky < KS; ky = ky + 1u) {
          let iy = iy0 + i32(ky);
          ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(iy) >= u.H) { continue; }' : ''}
          for (var kx = 0u; kx < KS; kx = kx + 1u) {
            let ix = ix0 + i32(kx);
            ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(ix) >= u.W) { continue; }' : ''}
            acc[ky * KS + kx] = fma(g, ${c.inputRelu ? 'max(x[plane * u.HW + u32(iy) * u.W + u32(ix)], 0.0)' : 'x[plane * u.HW + u32(iy) * u.W + u32(ix)]'}, acc[ky * KS + kx]);
          }
        }
      }
    }
  }
  for (var r = 0u; r < KK; r = r + 1u) { sums[r * WG_X + lid.x] = acc[r]; }
  workgroupBarrier();
  for (var width = WG_X / 2u; width > 0u; width = width / 2u) {
    if (lid.x < width) {
      for (var r = 0u; r < KK; r = r + 1u) { sums[r * WG_X + lid.x] = sums[r * WG_X + lid.x] + sums[r * WG_X + lid.x + width]; }
    }
    workgroupBarrier();
  }
  if (lid.x < KK) {
    let s = sums[lid.x * WG_X];
    ${
      c.partial
        ? 'out[(wid.y * u.C + ch) * KK + lid.x] = s;'
        : c.accumulate
          ? 'out[ch * KK + lid.x] = out[ch * KK + lid.x] + s;'
          : 'out[ch * KK + lid.x] = s;'
    }
  }
}`,
});

export interface DepthwiseConv2dBackwardWeightOperands {
  /** Input of the forward pass [N, C, H, W]. */
  readonly x: BufferSlice;
  /** Output gradient [N, C, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Weight gradient [C, k, k], written (or added to with `accumulate`). */
  readonly dw: BufferSlice;
  /** Room for the partial sums (depthwiseConv2dBackwardWeightPlan().workspaceFloats); omitted = a workspace of the context. */
  readonly workspace?: BufferSlice;
}

export interface DepthwiseReductionOptions {
  readonly accumulate?: boolean;
  /** Forces the number of batch splits (tests and benchmarks); otherwise planned from the shape and device. */
  readonly splits?: number;
  /** The forward convolved relu(x) (its `inputRelu`): the gradient reads x through ReLU. */
  readonly inputRelu?: boolean;
}

/** How depthwiseConv2dBackwardWeight splits the batch for this shape on this device, and the workspace it needs. */
export function depthwiseConv2dBackwardWeightPlan(
  ctx: GpuContext,
  shape: DepthwiseConv2dShape,
  options: DepthwiseReductionOptions = {},
): SplitPlan {
  const s = resolveDepthwiseShape('depthwiseConv2dBackwardWeight', shape);
  // Splits are whole images; a workgroup should see at least ~2048 positions before its tree, and a thread adds
  // at most ~4096 of them serially (64 threads per workgroup).
  return planSplits(ctx, {
    length: s.N,
    outputs: s.C * s.KK,
    outputWorkgroups: s.C,
    minChunk: Math.ceil(2048 / s.HWout),
    maxChunk: Math.max(1, Math.floor((4096 * 64) / s.HWout)),
    align: 1,
    forced: options.splits,
  });
}

/** Records dw = ∂(y·dy)/∂w of y = depthwiseConv2d(x, w) (or dw += it). */
export function depthwiseConv2dBackwardWeight(
  rec: Recorder,
  t: DepthwiseConv2dBackwardWeightOperands,
  shape: DepthwiseConv2dShape,
  options: DepthwiseReductionOptions = {},
): void {
  const fn = 'depthwiseConv2dBackwardWeight';
  const s = resolveDepthwiseShape(fn, shape);
  checkOperand(fn, 'x', t.x, s.N * s.C * s.HW, 'N·C·H·W', s.text);
  checkOperand(fn, 'dy', t.dy, s.N * s.C * s.HWout, `N·C·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkOperand(fn, 'dw', t.dw, s.C * s.KK, 'C·k·k', s.text);
  checkNoOverlap(
    fn,
    ['dw', t.dw],
    [
      ['x', t.x],
      ['dy', t.dy],
      ['workspace', t.workspace],
    ],
  );
  const plan = depthwiseConv2dBackwardWeightPlan(rec.ctx, shape, options);
  const workspace = workspaceFor(rec, fn, plan, t.workspace);
  if (workspace)
    checkNoOverlap(
      fn,
      ['workspace', workspace],
      [
        ['x', t.x],
        ['dy', t.dy],
      ],
    );
  const accumulate = !!options.accumulate;
  const lanesX = planeLanes(s.Wout, WG);
  const lanesY = planeLanes(s.Hout, WG / lanesX);
  depthwiseConv2dBackwardWeightKernel.dispatch(rec, {
    config: {
      k: s.k,
      stride: s.stride,
      padding: s.padding,
      partial: !!workspace,
      accumulate: !workspace && accumulate,
      inputRelu: !!options.inputRelu,
    },
    bind: { x: t.x, dy: t.dy, out: workspace ?? t.dw },
    uniforms: {
      N: s.N,
      C: s.C,
      H: s.H,
      W: s.W,
      HW: s.HW,
      Hout: s.Hout,
      Wout: s.Wout,
      HWout: s.HWout,
      padTop: s.padTop,
      padLeft: s.padLeft,
      lanesX,
      lanesY,
      imagesPerSplit: plan.chunk,
    },
    grid: [s.C, plan.splits, 1],
  });
  if (workspace) sumPartials(rec, workspace, t.dw, s.C * s.KK, plan.splits, accumulate);
}
