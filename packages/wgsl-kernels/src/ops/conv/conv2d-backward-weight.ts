/**
 * conv2d grad-weight as an implicit GEMM with a split reduction (see implicit-gemm.ts and split-reduction.ts):
 *
 *   dw[co, ci, ky, kx] = Σ_{b, oy, ox} dy[b, co, oy, ox] · x[b, ci, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * with rows m = co, columns n = (ci·k + ky)·k + kx (so the output is dw in its own layout) and the reduction over
 * output positions q = (b, oy, ox). The reduction is long and the output small, so the positions are cut into
 * chunks along the grid's z axis, each writing partial sums, added by sumPartials.
 *
 * The tiled variant stages both tiles with neighbouring threads on neighbouring positions (dy, and x at stride 1,
 * are contiguous along them); a thread stages one position per K step, decoded with two divisions per step
 * rather than per element, and a fixed set of weight columns whose taps it decodes once.
 */

import type { GpuContext } from '../../device/context.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { type Conv2dShape, type ConvPadding, checkNoOverlap, checkOperand, needsBoundsCheck, resolveConv2dShape } from './conv-shape.js';
import {
  type ConvGemmVariant,
  chooseConvGemmVariant,
  convConstantsWgsl,
  gemmGrid,
  gemmTile,
  gemmWorkgroup,
  MULTIPLY_TILES_WGSL,
  TK,
  tileDeclsWgsl,
  workgroupBytes,
} from './implicit-gemm.js';
import { planSplits, type SplitPlan, sumPartials, workspaceFor } from './split-reduction.js';

export interface Conv2dBackwardWeightConfig {
  readonly variant: ConvGemmVariant;
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
  /** Write partial sums of split z to out[z, Cout, Cin·k·k] instead of the result to out = dw. */
  readonly partial: boolean;
  readonly accumulate: boolean;
  /** The forward convolved relu(x): read x through ReLU. */
  readonly inputRelu: boolean;
}

const uniforms = {
  Cin: 'u32',
  H: 'u32',
  W: 'u32',
  HW: 'u32',
  Cout: 'u32',
  Hout: 'u32',
  Wout: 'u32',
  HWout: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
  /** GEMM columns Cin·k·k. */
  cols: 'u32',
  /** Reduction length N·Hout·Wout. */
  positions: 'u32',
  /** Positions per split. */
  chunk: 'u32',
} as const;

const operandsWgsl = (c: Conv2dBackwardWeightConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}

// Weight column n = (ci, ky, kx): the offset of its input plane and its tap's offset from a position's corner.
// Dead columns take the last live column's taps (in bounds) and are never stored.
struct Tap { plane: u32, dy: i32, dx: i32 }
fn tapOf(n: u32) -> Tap {
  let nn = min(n, u.cols - 1u);
  let ci = nn / KK;
  let r = nn - ci * KK;
  let ky = r / KS;
  return Tap(ci * u.HW, i32(ky) - i32(u.padTop), i32(r - ky * KS) - i32(u.padLeft));
}

// Output position q = (b, oy, ox): where its image starts in x, where its dy element of channel 0 is.
struct Pos { xBase: u32, yIndex: u32, oy: u32, ox: u32 }
fn posOf(q: u32) -> Pos {
  let b = q / u.HWout;
  let p = q - b * u.HWout;
  let oy = p / u.Wout;
  return Pos(b * u.Cin * u.HW, b * u.Cout * u.HWout + p, oy, p - oy * u.Wout);
}

// x under tap t at position q; zero in the padding.
fn xAt(q: Pos, t: Tap) -> f32 {
  let iy = i32(q.oy * S) + t.dy;
  let ix = i32(q.ox * S) + t.dx;
  ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(iy) >= u.H || u32(ix) >= u.W) { return 0.0; }' : ''}
  ${c.inputRelu ? 'return max(x[q.xBase + t.plane + u32(iy) * u.W + u32(ix)], 0.0);' : 'return x[q.xBase + t.plane + u32(iy) * u.W + u32(ix)];'}
}

fn dyAt(q: Pos, co: u32) -> f32 {
  if (co >= u.Cout) { return 0.0; }
  return dy[q.yIndex + co * u.HWout];
}

fn store(z: u32, m: u32, n: u32, value: f32) {
  if (m >= u.Cout || n >= u.cols) { return; }
  ${
    c.partial
      ? 'out[(z * u.Cout + m) * u.cols + n] = value;'
      : c.accumulate
        ? 'out[m * u.cols + n] = out[m * u.cols + n] + value;'
        : 'out[m * u.cols + n] = value;'
  }
}`;

const bindings = { x: read(), dy: read(), out: readWrite() };

export const conv2dBackwardWeightTiledKernel = defineKernel({
  name: 'conv2d_backward_weight_tiled',
  bindings,
  uniforms,
  workgroupSize: (c: Conv2dBackwardWeightConfig) => gemmWorkgroup(c.variant),
  workgroupMemoryBytes: (c: Conv2dBackwardWeightConfig) => workgroupBytes(c.variant),
  wgsl: (c: Conv2dBackwardWeightConfig) => /* wgsl */ `
${operandsWgsl(c)}
${tileDeclsWgsl(c.variant)}
const B_ROWS: u32 = ${gemmTile(c.variant).TN / (256 / TK)}u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tid = lid.y * TX + lid.x;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let qBegin = wid.z * u.chunk;
  let qEnd = min(qBegin + u.chunk, u.positions);
  let kk = tid % TK;
  let row = tid / TK;
  var taps: array<Tap, B_ROWS>;
  for (var i = 0u; i < B_ROWS; i = i + 1u) { taps[i] = tapOf(n0 + row + i * (THREADS / TK)); }
  var acc: array<array<f32, 4>, 4>;
  for (var q0 = qBegin; q0 < qEnd; q0 = q0 + TK) {
    let live = q0 + kk < qEnd;
    let q = posOf(min(q0 + kk, qEnd - 1u));
    for (var m = row; m < TM; m = m + THREADS / TK) {
      As[kk * A_STRIDE + m] = select(0.0, dyAt(q, m0 + m), live);
    }
    for (var i = 0u; i < B_ROWS; i = i + 1u) {
      Bs[kk * B_STRIDE + row + i * (THREADS / TK)] = select(0.0, xAt(q, taps[i]), live);
    }
    workgroupBarrier();
${MULTIPLY_TILES_WGSL}
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      store(wid.z, m0 + lid.y + i * TY, n0 + lid.x + j * TX, acc[i][j]);
    }
  }
}`,
});

export const conv2dBackwardWeightRegisterKernel = defineKernel({
  name: 'conv2d_backward_weight_register',
  bindings,
  uniforms,
  workgroupSize: [8, 8, 1],
  wgsl: (c: Conv2dBackwardWeightConfig) => /* wgsl */ `
${operandsWgsl(c)}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (n0 >= u.cols || m0 >= u.Cout) { return; }
  let qBegin = gid.z * u.chunk;
  let qEnd = min(qBegin + u.chunk, u.positions);
  var taps: array<Tap, 4>;
  for (var j = 0u; j < 4u; j = j + 1u) { taps[j] = tapOf(n0 + j); }
  var acc: array<array<f32, 4>, 4>;
  // The position advances as a cursor: one division-free step per position.
  var q = posOf(qBegin);
  for (var qi = qBegin; qi < qEnd; qi = qi + 1u) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) {
      av[i] = dyAt(q, m0 + i);
      bv[i] = xAt(q, taps[i]);
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
      for (var j = 0u; j < 4u; j = j + 1u) {
        acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
    q.ox = q.ox + 1u;
    q.yIndex = q.yIndex + 1u;
    if (q.ox == u.Wout) {
      q.ox = 0u;
      q.oy = q.oy + 1u;
      if (q.oy == u.Hout) {
        // Next image: dy skips the other Cout − 1 planes of this one.
        q.oy = 0u;
        q.xBase = q.xBase + u.Cin * u.HW;
        q.yIndex = q.yIndex + (u.Cout - 1u) * u.HWout;
      }
    }
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      store(gid.z, m0 + i, n0 + j, acc[i][j]);
    }
  }
}`,
});

export interface Conv2dBackwardWeightOperands {
  /** Input of the forward pass [N, Cin, H, W]. */
  readonly x: BufferSlice;
  /** Output gradient [N, Cout, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Weight gradient [Cout, Cin, k, k], written (or added to with `accumulate`). */
  readonly dw: BufferSlice;
  /** Room for the partial sums (conv2dBackwardWeightPlan().workspaceFloats); omitted = a workspace of the context. */
  readonly workspace?: BufferSlice;
}

export interface ConvReductionOptions {
  readonly accumulate?: boolean;
  /** Forces a variant (tests and benchmarks); otherwise chooseConvGemmVariant decides. */
  readonly variant?: ConvGemmVariant;
  /** Forces the number of reduction splits (tests and benchmarks); otherwise planned from the shape and device. */
  readonly splits?: number;
  /** The forward convolved relu(x) (its `inputRelu`): the gradient reads x through ReLU. */
  readonly inputRelu?: boolean;
}

export interface Conv2dBackwardWeightPlan extends SplitPlan {
  readonly variant: ConvGemmVariant;
}

/** What conv2dBackwardWeight will run for this shape on this device, and the workspace it needs. */
export function conv2dBackwardWeightPlan(
  ctx: GpuContext,
  shape: Conv2dShape,
  options: ConvReductionOptions = {},
): Conv2dBackwardWeightPlan {
  const s = resolveConv2dShape('conv2dBackwardWeight', shape);
  const variant = options.variant ?? chooseConvGemmVariant(ctx, s.Cout);
  const [gx, gy] = gemmGrid(variant, s.Cout, s.Cin * s.KK);
  // Every thread adds its chunk's products serially: at most 4096 of them, and on a GPU at least 512 to amortise
  // the tile loads. Tiled chunks are whole K steps.
  const plan = planSplits(ctx, {
    length: s.N * s.HWout,
    outputs: s.Cout * s.Cin * s.KK,
    outputWorkgroups: gx * gy,
    minChunk: 512,
    maxChunk: 4096,
    align: variant === 'register' ? 1 : TK,
    forced: options.splits,
  });
  return { ...plan, variant };
}

/** Records dw = ∂(y·dy)/∂w of y = conv2d(x, w) (or dw += it). */
export function conv2dBackwardWeight(
  rec: Recorder,
  t: Conv2dBackwardWeightOperands,
  shape: Conv2dShape,
  options: ConvReductionOptions = {},
): void {
  const fn = 'conv2dBackwardWeight';
  const s = resolveConv2dShape(fn, shape);
  checkOperand(fn, 'x', t.x, s.N * s.Cin * s.HW, 'N·Cin·H·W', s.text);
  checkOperand(fn, 'dy', t.dy, s.N * s.Cout * s.HWout, `N·Cout·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkOperand(fn, 'dw', t.dw, s.Cout * s.Cin * s.KK, 'Cout·Cin·k·k', s.text);
  checkNoOverlap(
    fn,
    ['dw', t.dw],
    [
      ['x', t.x],
      ['dy', t.dy],
      ['workspace', t.workspace],
    ],
  );
  const plan = conv2dBackwardWeightPlan(rec.ctx, shape, options);
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
  const config: Conv2dBackwardWeightConfig = {
    variant: plan.variant,
    k: s.k,
    stride: s.stride,
    padding: s.padding,
    partial: !!workspace,
    accumulate: !workspace && accumulate,
    inputRelu: !!options.inputRelu,
  };
  const cols = s.Cin * s.KK;
  const u = {
    Cin: s.Cin,
    H: s.H,
    W: s.W,
    HW: s.HW,
    Cout: s.Cout,
    Hout: s.Hout,
    Wout: s.Wout,
    HWout: s.HWout,
    padTop: s.padTop,
    padLeft: s.padLeft,
    cols,
    positions: s.N * s.HWout,
    chunk: plan.chunk,
  };
  const kernel = plan.variant === 'register' ? conv2dBackwardWeightRegisterKernel : conv2dBackwardWeightTiledKernel;
  const bind = { x: t.x, dy: t.dy, out: workspace ?? t.dw };
  kernel.dispatch(rec, { config, bind, uniforms: u, grid: gemmGrid(plan.variant, s.Cout, cols, plan.splits) });
  if (workspace) sumPartials(rec, workspace, t.dw, s.Cout * cols, plan.splits, accumulate);
}
