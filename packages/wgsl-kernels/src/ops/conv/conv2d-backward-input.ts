/**
 * conv2d grad-input as an implicit GEMM (see implicit-gemm.ts): every input pixel gathers the output gradients of
 * the taps that covered it,
 *
 *   dx[b, ci, iy, ix] = Σ_{co, ky, kx} w[co, ci, ky, kx] · dy[b, co, oy, ox]
 *                       where oy·s + ky − padTop = iy and ox·s + kx − padLeft = ix,
 *
 * with rows m = ci, columns n = (b, iy, ix) and the reduction over kidx = (co·k + ky)·k + kx. A gather, not a
 * scatter of dy: each dx element is written by exactly one thread, so no atomics and the `accumulate` flag is a
 * plain add.
 *
 * At stride 2 only taps of the right parity land on a pixel (oy must be whole); the others contribute zeros, so
 * three quarters of the products of this pass are multiplications by zero. A per-parity split (four GEMMs over the
 * pixel sub-grids) would remove them; not done yet, the stride-2 convolutions of ENAS are few.
 */
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { type Conv2dShape, checkNoOverlap, checkOperand, resolveConv2dShape } from './conv-shape.js';
import type { ConvOptions } from './conv2d.js';
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

export interface Conv2dBackwardInputConfig {
  readonly variant: ConvGemmVariant;
  readonly k: number;
  readonly stride: number;
  readonly accumulate: boolean;
  /** The forward convolved relu(x): the result is masked by x > 0 as it is stored (ReLU's backward, fused). */
  readonly inputRelu: boolean;
}

const uniforms = {
  Cin: 'u32',
  W: 'u32',
  HW: 'u32',
  Cout: 'u32',
  Hout: 'u32',
  Wout: 'u32',
  HWout: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
  /** Reduction length Cout·k·k. */
  K: 'u32',
  /** GEMM columns N·H·W. */
  cols: 'u32',
} as const;

const operandsWgsl = (c: Conv2dBackwardInputConfig) => /* wgsl */ `
${convConstantsWgsl(c.k, c.stride)}

// Input pixel n = (b, iy, ix), decoded once per thread: the dy plane base of its image and iy + padTop,
// ix + padLeft, from which each tap finds its output position. A dead pixel reads image 0 and is never stored.
struct Col { base: u32, ty0: i32, tx0: i32 }
fn colOf(n: u32) -> Col {
  if (n >= u.cols) { return Col(0u, 0, 0); }
  let b = n / u.HW;
  let p = n - b * u.HW;
  let iy = p / u.W;
  return Col(b * u.Cout * u.HWout, i32(iy + u.padTop), i32(p - iy * u.W + u.padLeft));
}

// dy[b, co, oy, ox] of the output whose tap (ky, kx) covered pixel c, or 0 when no output did:
// oy = (iy + padTop − ky) / s must be whole and inside the output.
fn gradTap(c: Col, co: u32, ky: u32, kx: u32) -> f32 {
  let ty = c.ty0 - i32(ky);
  let tx = c.tx0 - i32(kx);
  ${c.stride > 1 ? 'if (ty % i32(S) != 0 || tx % i32(S) != 0) { return 0.0; }' : ''}
  // Negative ty wraps to a huge u32 and fails the range test with the too-large ones.
  let oy = u32(ty) / S;
  let ox = u32(tx) / S;
  ${c.k === 1 && c.stride === 1 ? '' : 'if (oy >= u.Hout || ox >= u.Wout) { return 0.0; }'}
  return dy[c.base + co * u.HWout + oy * u.Wout + ox];
}

// B: element (kidx, c) of the gathered gradient matrix.
fn bAt(c: Col, kidx: u32) -> f32 {
  if (kidx >= u.K) { return 0.0; }
  let co = kidx / KK;
  let r = kidx - co * KK;
  let ky = r / KS;
  return gradTap(c, co, ky, r - ky * KS);
}

// w[co, ci, r] for tap r = ky·k + kx, zero past the last input channel.
fn weight(co: u32, ci: u32, r: u32) -> f32 {
  if (ci >= u.Cin) { return 0.0; }
  return w[(co * u.Cin + ci) * KK + r];
}

// A: the weights as a [Cin, Cout·k·k] matrix, w[co, ci, ky, kx] at row ci, column (co·k + ky)·k + kx.
fn aAt(m: u32, kidx: u32) -> f32 {
  if (kidx >= u.K) { return 0.0; }
  let co = kidx / KK;
  return weight(co, m, kidx - co * KK);
}

// Index of dx[b, 0, iy, ix] for column n, or a sentinel for a dead column.
fn outBase(n: u32) -> u32 {
  if (n >= u.cols) { return 0xffffffffu; }
  let b = n / u.HW;
  return b * u.Cin * u.HW + (n - b * u.HW);
}

fn store(m: u32, base: u32, value: f32) {
  if (m >= u.Cin || base == 0xffffffffu) { return; }
  let i = base + m * u.HW;
  ${c.inputRelu ? 'let g = select(0.0, value, x[i] > 0.0);' : 'let g = value;'}
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`;

// x: the forward's input, read only for the ReLU mask (the unused range otherwise).
const bindings = { w: read(), dy: read(), x: read(), dx: readWrite() };

export const conv2dBackwardInputTiledKernel = defineKernel({
  name: 'conv2d_backward_input_tiled',
  bindings,
  uniforms,
  workgroupSize: (c: Conv2dBackwardInputConfig) => gemmWorkgroup(c.variant),
  workgroupMemoryBytes: (c: Conv2dBackwardInputConfig) => workgroupBytes(c.variant),
  wgsl: (c: Conv2dBackwardInputConfig) => /* wgsl */ `
${operandsWgsl(c)}
${tileDeclsWgsl(c.variant)}
${TILED_GEMM_MAIN_WGSL}`,
});

export const conv2dBackwardInputRegisterKernel = defineKernel({
  name: 'conv2d_backward_input_register',
  bindings,
  uniforms,
  workgroupSize: [8, 8, 1],
  wgsl: (c: Conv2dBackwardInputConfig) => /* wgsl */ `
${operandsWgsl(c)}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (n0 >= u.cols || m0 >= u.Cin) { return; }
  var cols: array<Col, 4>;
  for (var j = 0u; j < 4u; j = j + 1u) { cols[j] = colOf(n0 + j); }
  var acc: array<array<f32, 4>, 4>;
  // (co, ky, kx) advance as counters (see conv2d.ts); r = ky·k + kx is the tap's offset in a weight plane.
  var co = 0u;
  var ky = 0u;
  var kx = 0u;
  var r = 0u;
  for (var kidx = 0u; kidx < u.K; kidx = kidx + 1u) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) {
      av[i] = weight(co, m0 + i, r);
      bv[i] = gradTap(cols[i], co, ky, kx);
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
      for (var j = 0u; j < 4u; j = j + 1u) {
        acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
    r = r + 1u;
    kx = kx + 1u;
    if (kx == KS) {
      kx = 0u;
      ky = ky + 1u;
      if (ky == KS) {
        ky = 0u;
        r = 0u;
        co = co + 1u;
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

export interface Conv2dBackwardInputOperands {
  /** Weights [Cout, Cin, k, k]. */
  readonly w: BufferSlice;
  /** Output gradient [N, Cout, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Input gradient [N, Cin, H, W], written (or added to with `accumulate`). */
  readonly dx: BufferSlice;
  /** The forward's input [N, Cin, H, W]; needed with `inputRelu` (its sign masks dx). */
  readonly x?: BufferSlice;
}

/** Records dx = ∂(y·dy)/∂x of y = conv2d(x, w) (or dx += it). */
export function conv2dBackwardInput(rec: Recorder, t: Conv2dBackwardInputOperands, shape: Conv2dShape, options: ConvOptions = {}): void {
  const fn = 'conv2dBackwardInput';
  const s = resolveConv2dShape(fn, shape);
  checkOperand(fn, 'w', t.w, s.Cout * s.Cin * s.KK, 'Cout·Cin·k·k', s.text);
  checkOperand(fn, 'dy', t.dy, s.N * s.Cout * s.HWout, `N·Cout·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkOperand(fn, 'dx', t.dx, s.N * s.Cin * s.HW, 'N·Cin·H·W', s.text);
  const inputRelu = !!options.inputRelu;
  if (inputRelu && !t.x) throw new Error(`${fn}: inputRelu needs x, the forward's input, for the ReLU mask (${s.text})`);
  if (t.x) checkOperand(fn, 'x', t.x, s.N * s.Cin * s.HW, 'N·Cin·H·W', s.text);
  checkNoOverlap(
    fn,
    ['dx', t.dx],
    [
      ['w', t.w],
      ['dy', t.dy],
      ['x', t.x],
    ],
  );
  const variant = options.variant ?? chooseConvGemmVariant(rec.ctx, s.Cin);
  // The padding mode changes no code here (offsets are uniforms, every gather is range-checked): not in the key.
  const config: Conv2dBackwardInputConfig = { variant, k: s.k, stride: s.stride, accumulate: !!options.accumulate, inputRelu };
  const cols = s.N * s.HW;
  const u = {
    Cin: s.Cin,
    W: s.W,
    HW: s.HW,
    Cout: s.Cout,
    Hout: s.Hout,
    Wout: s.Wout,
    HWout: s.HWout,
    padTop: s.padTop,
    padLeft: s.padLeft,
    K: s.Cout * s.KK,
    cols,
  };
  const kernel = variant === 'register' ? conv2dBackwardInputRegisterKernel : conv2dBackwardInputTiledKernel;
  const bind = { w: t.w, dy: t.dy, x: inputRelu ? (t.x as BufferSlice) : unusedBinding(rec.ctx), dx: t.dx };
  kernel.dispatch(rec, { config, bind, uniforms: u, grid: gemmGrid(variant, s.Cin, cols) });
}
