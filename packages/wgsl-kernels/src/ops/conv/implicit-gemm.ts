/**
 * The implicit GEMM that every conv2d pass is written as. Each pass is a product C (M×N) = A (M×K) · B (K×N) whose
 * operands are never materialised: the kernels compute the address of an element from its (row, column) instead
 * (the im2col matrix of the forward pass exists only as index arithmetic).
 *
 *   pass          M      N                  K                  A                      B
 *   forward       Cout   batch·Hout·Wout    Cin·k·k            weights [Cout, K]      im2col(x)
 *   grad-input    Cin    batch·H·W          Cout·k·k           weights, transposed    col2im gather of dy
 *   grad-weight   Cout   Cin·k·k            batch·Hout·Wout    dy                     im2col(x), transposed
 *
 * Variants, as in ../matmul/matmul.ts (tfjs-webgpu's choice by shape and device):
 *   tiled-64x64, tiled-32x128  a workgroup of 256 threads computes a TM×TN output tile, each thread a 4×4 block;
 *                              K advances in steps of TK = 16, both operand tiles staged in workgroup memory.
 *                              The 32×128 tile wastes less when Cout is 20–32 or 65–96 (ENAS widths).
 *   register                   each thread computes 4×4 outputs reading global memory directly: faster on CPU
 *                              WebGPU (lavapipe), where workgroup memory is ordinary memory plus barriers.
 *
 * The k, stride and padding mode are compiled into each pipeline (constant divisions become multiplications,
 * bounds checks vanish where they cannot fail); batch, channels and sizes are uniforms.
 */
import type { GpuContext } from '../../device/context.js';

export type ConvGemmVariant = 'tiled-64x64' | 'tiled-32x128' | 'register';
export const CONV_GEMM_VARIANTS: readonly ConvGemmVariant[] = ['tiled-64x64', 'tiled-32x128', 'register'];

export interface GemmTile {
  /** Output rows per workgroup. */
  readonly TM: number;
  /** Output columns per workgroup. */
  readonly TN: number;
  /** Threads along columns and rows; each thread owns rows ty + i·TY and columns tx + j·TX, i, j < 4. */
  readonly TX: number;
  readonly TY: number;
}

export const TK = 16;
const THREADS = 256;

export function gemmTile(variant: ConvGemmVariant): GemmTile {
  if (variant === 'tiled-32x128') return { TM: 32, TN: 128, TX: 32, TY: 8 };
  // The register variant computes 4×4 per thread in 8×8 workgroups: a 32×32 tile with nothing staged.
  if (variant === 'register') return { TM: 32, TN: 32, TX: 8, TY: 8 };
  return { TM: 64, TN: 64, TX: 16, TY: 16 };
}

/** Workgroup size of a variant's kernels. */
export function gemmWorkgroup(variant: ConvGemmVariant): readonly [number, number, number] {
  const t = gemmTile(variant);
  return [t.TX, t.TY, 1];
}

/** Workgroups over an M×cols output (× splits of K along z, for the weight gradient). */
export function gemmGrid(variant: ConvGemmVariant, M: number, cols: number, splits = 1): [number, number, number] {
  const t = gemmTile(variant);
  return [Math.ceil(cols / t.TN), Math.ceil(M / t.TM), splits];
}

/**
 * Staged tiles are stored k-major (As[kk][m], Bs[kk][n]) so the multiply reads rows that neighbouring threads
 * share. Rows are padded by one float: tiles staged with neighbouring threads on neighbouring k (weights, dy)
 * then write to different banks instead of one bank TM floats apart.
 */
export function workgroupBytes(variant: ConvGemmVariant): number {
  if (variant === 'register') return 0;
  const t = gemmTile(variant);
  return (t.TM + 1 + t.TN + 1) * TK * 4;
}

/** Constants and workgroup arrays of a tiled variant. */
export function tileDeclsWgsl(variant: ConvGemmVariant): string {
  const t = gemmTile(variant);
  return /* wgsl */ `
const TM: u32 = ${t.TM}u;
const TN: u32 = ${t.TN}u;
const TX: u32 = ${t.TX}u;
const TY: u32 = ${t.TY}u;
const TK: u32 = ${TK}u;
const THREADS: u32 = ${THREADS}u;
const A_STRIDE: u32 = ${t.TM + 1}u;
const B_STRIDE: u32 = ${t.TN + 1}u;
var<workgroup> As: array<f32, ${(t.TM + 1) * TK}>;
var<workgroup> Bs: array<f32, ${(t.TN + 1) * TK}>;`;
}

/** The 4×4-per-thread product of the staged tiles, added to `acc` (inside main; needs `lid` and `acc`). */
export const MULTIPLY_TILES_WGSL = /* wgsl */ `
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i = i + 1u) {
        av[i] = As[kk * A_STRIDE + lid.y + i * TY];
        bv[i] = Bs[kk * B_STRIDE + lid.x + i * TX];
      }
      for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
          acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
      }
    }`;

/**
 * The entry point of a tiled pass whose A tile is staged along k and B tile along n (forward and grad-input).
 * The pass defines: uniform K; fn aAt(m, k); struct Col, fn colOf(n) and fn bAt(col, k), a
 * column's state decoded once because a thread stages the same column for the whole K loop; fn outBase(n) and
 * fn store(m, base, value).
 */
export const TILED_GEMM_MAIN_WGSL = /* wgsl */ `
@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tid = lid.y * TX + lid.x;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  // Staging B: neighbouring threads take neighbouring output pixels, so their reads are contiguous at stride 1.
  let bCol = tid % TN;
  let col = colOf(n0 + bCol);
  // Staging A (row-major along k for the weights): neighbouring threads take neighbouring k.
  let aK = tid % TK;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < u.K; k0 = k0 + TK) {
    for (var m = tid / TK; m < TM; m = m + THREADS / TK) {
      As[aK * A_STRIDE + m] = aAt(m0 + m, k0 + aK);
    }
    for (var kk = tid / TN; kk < TK; kk = kk + THREADS / TN) {
      Bs[kk * B_STRIDE + bCol] = bAt(col, k0 + kk);
    }
    workgroupBarrier();
${MULTIPLY_TILES_WGSL}
    workgroupBarrier();
  }
  // Columns strided by TX: a warp's stores to one output row are contiguous.
  for (var j = 0u; j < 4u; j = j + 1u) {
    let base = outBase(n0 + lid.x + j * TX);
    for (var i = 0u; i < 4u; i = i + 1u) {
      store(m0 + lid.y + i * TY, base, acc[i][j]);
    }
  }
}`;

/** WGSL constants of the convolution geometry compiled into a pipeline. */
export function convConstantsWgsl(k: number, stride: number): string {
  return /* wgsl */ `
const KS: u32 = ${k}u;
const KK: u32 = ${k * k}u;
const S: u32 = ${stride}u;`;
}

/**
 * Tiled on GPUs, register on CPU adapters. The tile height is the one that wastes fewer rows of M (Cout or Cin);
 * on a tie the taller tile, which reads the B operand (the larger one) fewer times.
 */
export function chooseConvGemmVariant(ctx: GpuContext, M: number): ConvGemmVariant {
  if (ctx.adapter.isFallbackOrSoftware) return 'register';
  const waste = (tm: number) => Math.ceil(M / tm) * tm - M;
  return waste(32) < waste(64) ? 'tiled-32x128' : 'tiled-64x64';
}
