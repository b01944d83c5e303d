/**
 * conv2d forward as an implicit GEMM (see implicit-gemm.ts):
 *
 *   y[b, co, oy, ox] = bias[co] + Σ_{ci, ky, kx} w[co, ci, ky, kx] · x[b, ci, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * with rows m = co, columns n = (b, oy, ox) and the reduction index kidx = (ci·k + ky)·k + kx, which is also the
 * order of a weight row, so A is the weight tensor itself read as a [Cout, Cin·k·k] matrix.
 *
 * A 1×1 convolution needs no fast path of its own: with k = 1 compiled in, the tap decode and every bounds check
 * disappear and the kernel is the per-image matmul W[Cout×Cin] · X[b][Cin×HW].
 */
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { type Conv2dShape, type ConvPadding, checkNoOverlap, checkOperand, needsBoundsCheck, resolveConv2dShape } from './conv-shape.js';
import {
  type ConvGemmVariant,
  chooseConvGemmVariant,
  convConstantsWgsl,
  gemmGrid,
  gemmWorkgroup,
  TILED_GEMM_MAIN_WGSL,
  tileDeclsWgsl,
  workgroupBytes,
} from './implicit-gemm.js';

export interface Conv2dConfig {
  readonly variant: ConvGemmVariant;
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
  readonly bias: boolean;
  readonly accumulate: boolean;
  /** The input passes through ReLU as it is read (y = conv2d(relu(x), w)): ENAS's ReLU before every conv. */
  readonly inputRelu: boolean;
}

const uniforms = {
  Cin: 'u32',
  H: 'u32',
  W: 'u32',
  HW: 'u32',
  Cout: 'u32',
  Wout: 'u32',
  HWout: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
  /** Reduction length Cin·k·k. */
  K: 'u32',
  /** GEMM columns N·Hout·Wout. */
  cols: 'u32',
} as const;

/** WGSL shared by both variants: the implicit im2col operand, the weight operand and the output. */
const operandsWgsl = (c: Conv2dConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}

// The receptive field of output column n = (b, oy, ox), decoded once per thread, outside the K loop. A dead
// column (n past the end) reads image 0, in bounds, and is never stored.
struct Col { live: bool, base: i32, iy0: i32, ix0: i32 }
fn colOf(n: u32) -> Col {
  if (n >= u.cols) { return Col(false, 0, 0, 0); }
  let b = n / u.HWout;
  let p = n - b * u.HWout;
  let oy = p / u.Wout;
  let iy0 = i32(oy * S) - i32(u.padTop);
  let ix0 = i32((p - oy * u.Wout) * S) - i32(u.padLeft);
  return Col(true, i32(b * u.Cin * u.HW) + iy0 * i32(u.W) + ix0, iy0, ix0);
}

// x under tap (ky, kx) of input channel ci for column c; zero in the padding.
fn tap(c: Col, ci: u32, ky: u32, kx: u32) -> f32 {
  ${needsBoundsCheck(c.k, c.padding) ? 'if (u32(c.iy0 + i32(ky)) >= u.H || u32(c.ix0 + i32(kx)) >= u.W) { return 0.0; }' : ''}
  ${c.inputRelu ? 'return max(x[u32(c.base + i32(ci * u.HW + ky * u.W + kx))], 0.0);' : 'return x[u32(c.base + i32(ci * u.HW + ky * u.W + kx))];'}
}

// B: element (kidx, c) of the implicit im2col matrix.
fn bAt(c: Col, kidx: u32) -> f32 {
  if (!c.live || kidx >= u.K) { return 0.0; }
  let ci = kidx / KK;
  let r = kidx - ci * KK;
  let ky = r / KS;
  return tap(c, ci, ky, r - ky * KS);
}

// A: the weights as a [Cout, K] matrix.
fn aAt(m: u32, kidx: u32) -> f32 {
  if (m >= u.Cout || kidx >= u.K) { return 0.0; }
  return w[m * u.K + kidx];
}

// Index of y[b, 0, oy, ox] for column n, or a sentinel for a dead column.
fn outBase(n: u32) -> u32 {
  if (n >= u.cols) { return 0xffffffffu; }
  let b = n / u.HWout;
  return b * u.Cout * u.HWout + (n - b * u.HWout);
}

fn store(m: u32, base: u32, value: f32) {
  if (m >= u.Cout || base == 0xffffffffu) { return; }
  let i = base + m * u.HWout;
  var r = value;
  ${c.bias ? 'r = r + bias[m];' : ''}
  ${c.accumulate ? 'r = r + y[i];' : ''}
  y[i] = r;
}`;

const bindings = { x: read(), w: read(), bias: read(), y: readWrite() };

export const conv2dTiledKernel = defineKernel({
  name: 'conv2d_tiled',
  bindings,
  uniforms,
  workgroupSize: (c: Conv2dConfig) => gemmWorkgroup(c.variant),
  workgroupMemoryBytes: (c: Conv2dConfig) => workgroupBytes(c.variant),
  wgsl: (c: Conv2dConfig) => /* wgsl */ `
${operandsWgsl(c)}
${tileDeclsWgsl(c.variant)}

${TILED_GEMM_MAIN_WGSL}`,
});

export const conv2dRegisterKernel = defineKernel({
  name: 'conv2d_register',
  bindings,
  uniforms,
  workgroupSize: [8, 8, 1],
  wgsl: (c: Conv2dConfig) => /* wgsl */ `
${operandsWgsl(c)}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (n0 >= u.cols || m0 >= u.Cout) { return; }
  var cols: array<Col, 4>;
  for (var j = 0u; j < 4u; j = j + 1u) { cols[j] = colOf(n0 + j); }
  var acc: array<array<f32, 4>, 4>;
  // (ci, ky, kx) advance as counters: no division by k, and a loop LLVM does not unroll k² times (lavapipe
  // compiles every pipeline with LLVM; nested constant-bound loops multiplied its compile time).
  var ci = 0u;
  var ky = 0u;
  var kx = 0u;
  for (var kidx = 0u; kidx < u.K; kidx = kidx + 1u) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) {
      av[i] = aAt(m0 + i, kidx);
      bv[i] = tap(cols[i], ci, ky, kx);
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
      for (var j = 0u; j < 4u; j = j + 1u) {
        acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
    kx = kx + 1u;
    if (kx == KS) {
      kx = 0u;
      ky = ky + 1u;
      if (ky == KS) {
        ky = 0u;
        ci = ci + 1u;
      }
    }
  }
  for (var j = 0u; j < 4u; j = j + 1u) {
    let base = outBase(n0 + j);
    for (var i = 0u; i < 4u; i = i + 1u) {
      store(m0 + i, base, acc[i][j]);
    }
  }
}`,
});

export interface Conv2dOperands {
  /** Input [N, Cin, H, W]. */
  readonly x: BufferSlice;
  /** Weights [Cout, Cin, k, k]. */
  readonly w: BufferSlice;
  /** Output [N, Cout, Hout, Wout]. */
  readonly y: BufferSlice;
  /** Optional [Cout]. */
  readonly bias?: BufferSlice;
}

export interface ConvOptions {
  /** Add into the output instead of overwriting it (forward: a cell node summing its inputs; backward: gradients). */
  readonly accumulate?: boolean;
  /** Forces a variant (tests and benchmarks); otherwise chooseConvGemmVariant decides. */
  readonly variant?: ConvGemmVariant;
  /**
   * Convolve relu(x) instead of x, the ReLU applied as the input is read (no ReLU tensor, no ReLU dispatch). The
   * backward passes take the same flag: grad-weight reads relu(x), grad-input masks its result by x > 0.
   */
  readonly inputRelu?: boolean;
}

/** Records y = conv2d(x, w) (+ bias) (+ y when accumulating). */
export function conv2d(rec: Recorder, t: Conv2dOperands, shape: Conv2dShape, options: ConvOptions = {}): void {
  const fn = 'conv2d';
  const s = resolveConv2dShape(fn, shape);
  checkOperand(fn, 'x', t.x, s.N * s.Cin * s.HW, 'N·Cin·H·W', s.text);
  checkOperand(fn, 'w', t.w, s.Cout * s.Cin * s.KK, 'Cout·Cin·k·k', s.text);
  checkOperand(fn, 'y', t.y, s.N * s.Cout * s.HWout, `N·Cout·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  if (t.bias) checkOperand(fn, 'bias', t.bias, s.Cout, 'Cout', s.text);
  checkNoOverlap(
    fn,
    ['y', t.y],
    [
      ['x', t.x],
      ['w', t.w],
      ['bias', t.bias],
    ],
  );
  const variant = options.variant ?? chooseConvGemmVariant(rec.ctx, s.Cout);
  const config: Conv2dConfig = {
    variant,
    k: s.k,
    stride: s.stride,
    padding: s.padding,
    bias: !!t.bias,
    accumulate: !!options.accumulate,
    inputRelu: !!options.inputRelu,
  };
  const cols = s.N * s.HWout;
  const u = {
    Cin: s.Cin,
    H: s.H,
    W: s.W,
    HW: s.HW,
    Cout: s.Cout,
    Wout: s.Wout,
    HWout: s.HWout,
    padTop: s.padTop,
    padLeft: s.padLeft,
    K: s.Cin * s.KK,
    cols,
  };
  // Without a bias the slot gets the context's unused range, not w: when y shares w's buffer (an arena), w's
  // bindings become read_write, and two overlapping writable bindings are invalid in WebGPU.
  const bind = { x: t.x, w: t.w, bias: t.bias ?? unusedBinding(rec.ctx), y: t.y };
  const kernel = variant === 'register' ? conv2dRegisterKernel : conv2dTiledKernel;
  kernel.dispatch(rec, { config, bind, uniforms: u, grid: gemmGrid(variant, s.Cout, cols) });
}
