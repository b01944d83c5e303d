/**
 * Batched matrix multiply: C[b] = op(A[b]) · op(B[b]) (+ bias) (+ C[b] when accumulating), row-major.
 *
 *   op(A) is M×K: A is stored M×K, or K×M when transA.   op(B) is K×N: B is stored K×N, or N×K when transB.
 *   Batch b reads A at b·strideA, B at b·strideB (0 broadcasts one matrix, e.g. shared weights), C at b·strideC.
 *
 * Four variants, chosen by shape and device in `chooseMatmulVariant` (tfjs-webgpu's idea):
 *   tiled    64×64 output tile per workgroup, 16×16 threads × 4×4 outputs each, A/B tiles staged in workgroup
 *            memory (8 KiB). The GPU path.
 *   tiled128 128×128 tiles, 8×8 outputs per thread: a candidate for large products on GPUs (see below).
 *   register the same 4×4 outputs per thread read straight from global memory, no workgroup memory: faster on CPU
 *            WebGPU (lavapipe), where workgroup memory is ordinary memory plus barriers.
 *   simple   one output per thread; for tiny or skinny products (the controller's 1-row LSTM products) where a
 *            64×64 tile would leave most threads idle.
 */
import type { GpuContext } from '../../device/context.js';
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

export type MatmulVariant = 'tiled' | 'tiled128' | 'register' | 'simple';

export interface MatmulConfig {
  readonly variant: MatmulVariant;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly bias: boolean;
  readonly accumulate: boolean;
}

export interface MatmulShape {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Number of independent products (default 1). */
  readonly batch?: number;
  /** Elements between consecutive batch matrices; defaults: the matrix size (0 for B broadcasts it). */
  readonly strideA?: number;
  readonly strideB?: number;
  readonly strideC?: number;
  readonly transA?: boolean;
  readonly transB?: boolean;
}

const TILE = 64;
const TILE_K = 16;

/** WGSL shared by all variants: operand access honouring transposes, batch strides and bounds. */
const operandAccess = (c: MatmulConfig) => /* wgsl */ `
fn loadA(batch: u32, m: u32, k: u32) -> f32 {
  if (m >= u.M || k >= u.K) { return 0.0; }
  return a[batch * u.strideA + ${c.transA ? 'k * u.M + m' : 'm * u.K + k'}];
}
fn loadB(batch: u32, k: u32, n: u32) -> f32 {
  if (k >= u.K || n >= u.N) { return 0.0; }
  return b[batch * u.strideB + ${c.transB ? 'n * u.K + k' : 'k * u.N + n'}];
}
fn storeC(batch: u32, m: u32, n: u32, value: f32) {
  if (m >= u.M || n >= u.N) { return; }
  let i = batch * u.strideC + m * u.N + n;
  var r = value;
  ${c.bias ? 'r = r + bias[n];' : ''}
  ${c.accumulate ? 'r = r + c[i];' : ''}
  c[i] = r;
}`;

const uniforms = { M: 'u32', N: 'u32', K: 'u32', batch: 'u32', strideA: 'u32', strideB: 'u32', strideC: 'u32' } as const;
const bindings = { a: read(), b: read(), bias: read(), c: readWrite() };

export const matmulTiledKernel = defineKernel({
  name: 'matmul_tiled',
  bindings,
  uniforms,
  workgroupSize: [16, 16, 1],
  workgroupMemoryBytes: () => 2 * TILE * TILE_K * 4,
  wgsl: (c: MatmulConfig) => /* wgsl */ `
${operandAccess(c)}
const TM: u32 = ${TILE}u;
const TK: u32 = ${TILE_K}u;
var<workgroup> As: array<f32, ${TILE * TILE_K}>; // As[k * TM + m]
var<workgroup> Bs: array<f32, ${TILE * TILE_K}>; // Bs[k * TM + n]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wid.z;
  let row0 = wid.y * TM;
  let col0 = wid.x * TM;
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < u.K; k0 = k0 + TK) {
    // Each thread stages 4 elements of each tile; consecutive threads read consecutive addresses of the
    // operand's storage order (coalesced), whatever the transposes.
    for (var i = 0u; i < 4u; i = i + 1u) {
      let e = tid + i * 256u;
      ${c.transA ? 'let am = e % TM; let ak = e / TM;' : 'let am = e / TK; let ak = e % TK;'}
      As[ak * TM + am] = loadA(batch, row0 + am, k0 + ak);
      ${c.transB ? 'let bn = e / TK; let bk = e % TK;' : 'let bn = e % TM; let bk = e / TM;'}
      Bs[bk * TM + bn] = loadB(batch, k0 + bk, col0 + bn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i = i + 1u) {
        av[i] = As[kk * TM + lid.y + i * 16u];
        bv[i] = Bs[kk * TM + lid.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
          acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }
  // Rows and columns strided by 16 so a warp's stores to one row are contiguous.
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      storeC(batch, row0 + lid.y + i * 16u, col0 + lid.x + j * 16u, acc[i][j]);
    }
  }
}`,
});

/**
 * 128×128 output tile per workgroup, 16×16 threads × 8×8 outputs each, K staged 8 at a time as vec4 columns in
 * workgroup memory (8 KiB). Twice the arithmetic per workgroup-memory read of `tiled` (64 FMAs per 4 vec4 reads
 * against 16 per 8 scalar reads), the register blocking of fast CUDA SGEMMs. A GPU candidate for large products:
 * the benchmark times it beside `tiled` on GPU adapters, and the choice in `chooseMatmulVariant` should follow
 * what that measures (not measured on a GPU yet).
 *
 * A thread owns rows ty·4 + {0..3} and 64 + ty·4 + {0..3} of the tile, and the same columns in tx: two vec4 reads
 * of each operand per k cover its 8×8 block, and the 16 threads that share a row of A read one broadcast address.
 */
export const matmulTiled128Kernel = defineKernel({
  name: 'matmul_tiled128',
  bindings,
  uniforms,
  workgroupSize: [16, 16, 1],
  workgroupMemoryBytes: () => 2 * 8 * 128 * 4,
  wgsl: (c: MatmulConfig) => /* wgsl */ `
${operandAccess(c)}
var<workgroup> As: array<vec4<f32>, 256>; // As[k * 32 + g] = rows 4g..4g+3 of the A tile at k
var<workgroup> Bs: array<vec4<f32>, 256>; // Bs[k * 32 + g] = columns 4g..4g+3 of the B tile at k

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wid.z;
  let row0 = wid.y * 128u;
  let col0 = wid.x * 128u;
  let tid = lid.y * 16u + lid.x;
  // Staging: each thread fills one vec4 of each tile (256 threads × 4 = 128 × 8). Its k and group are picked so
  // that neighbouring threads read neighbouring addresses of the operand's storage order.
  ${c.transA ? 'let ak = tid / 32u; let ag = tid % 32u;' : 'let ak = tid % 8u; let ag = tid / 8u;'}
  ${c.transB ? 'let bk = tid % 8u; let bg = tid / 8u;' : 'let bk = tid / 32u; let bg = tid % 32u;'}
  var acc: array<vec4<f32>, 16>; // acc[r * 2 + h]: row r of the thread's 8, columns of half h
  for (var k0 = 0u; k0 < u.K; k0 = k0 + 8u) {
    let am = row0 + ag * 4u;
    As[ak * 32u + ag] = vec4<f32>(loadA(batch, am, k0 + ak), loadA(batch, am + 1u, k0 + ak),
                                  loadA(batch, am + 2u, k0 + ak), loadA(batch, am + 3u, k0 + ak));
    let bn = col0 + bg * 4u;
    Bs[bk * 32u + bg] = vec4<f32>(loadB(batch, k0 + bk, bn), loadB(batch, k0 + bk, bn + 1u),
                                  loadB(batch, k0 + bk, bn + 2u), loadB(batch, k0 + bk, bn + 3u));
    workgroupBarrier();
    for (var kk = 0u; kk < 8u; kk = kk + 1u) {
      let a0 = As[kk * 32u + lid.y];
      let a1 = As[kk * 32u + 16u + lid.y];
      let b0 = Bs[kk * 32u + lid.x];
      let b1 = Bs[kk * 32u + 16u + lid.x];
      for (var r = 0u; r < 4u; r = r + 1u) {
        acc[r * 2u] = fma(vec4<f32>(a0[r]), b0, acc[r * 2u]);
        acc[r * 2u + 1u] = fma(vec4<f32>(a0[r]), b1, acc[r * 2u + 1u]);
        acc[8u + r * 2u] = fma(vec4<f32>(a1[r]), b0, acc[8u + r * 2u]);
        acc[8u + r * 2u + 1u] = fma(vec4<f32>(a1[r]), b1, acc[8u + r * 2u + 1u]);
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 8u; r = r + 1u) {
    let m = row0 + (r / 4u) * 64u + lid.y * 4u + r % 4u;
    for (var h = 0u; h < 2u; h = h + 1u) {
      let n = col0 + h * 64u + lid.x * 4u;
      let v = acc[r * 2u + h];
      storeC(batch, m, n, v.x);
      storeC(batch, m, n + 1u, v.y);
      storeC(batch, m, n + 2u, v.z);
      storeC(batch, m, n + 3u, v.w);
    }
  }
}`,
});

export const matmulRegisterKernel = defineKernel({
  name: 'matmul_register',
  bindings,
  uniforms,
  workgroupSize: [8, 8, 1],
  wgsl: (c: MatmulConfig) => /* wgsl */ `
${operandAccess(c)}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let batch = gid.z;
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= u.M || col0 >= u.N) { return; }
  var acc: array<array<f32, 4>, 4>;
  for (var k = 0u; k < u.K; k = k + 1u) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) {
      av[i] = loadA(batch, row0 + i, k);
      bv[i] = loadB(batch, k, col0 + i);
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
      for (var j = 0u; j < 4u; j = j + 1u) {
        acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      storeC(batch, row0 + i, col0 + j, acc[i][j]);
    }
  }
}`,
});

export const matmulSimpleKernel = defineKernel({
  name: 'matmul_simple',
  bindings,
  uniforms,
  workgroupSize: [64, 1, 1],
  wgsl: (c: MatmulConfig) => /* wgsl */ `
${operandAccess(c)}
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  let perBatch = u.M * u.N;
  if (i >= perBatch * u.batch) { return; }
  let batch = i / perBatch;
  let m = (i % perBatch) / u.N;
  let n = i % u.N;
  var acc = 0.0;
  for (var k = 0u; k < u.K; k = k + 1u) {
    acc = fma(loadA(batch, m, k), loadB(batch, k, n), acc);
  }
  storeC(batch, m, n, acc);
}`,
});

/** Shape-driven variant choice; exported so benchmarks and tests can name what ran. */
export function chooseMatmulVariant(ctx: GpuContext, shape: MatmulShape): MatmulVariant {
  const outputs = shape.M * shape.N * (shape.batch ?? 1);
  if (outputs < 4096 || shape.M < 8 || shape.N < 8) return 'simple';
  return ctx.adapter.isFallbackOrSoftware ? 'register' : 'tiled';
}

export interface MatmulOperands {
  readonly a: BufferSlice;
  readonly b: BufferSlice;
  readonly c: BufferSlice;
  readonly bias?: BufferSlice;
}

export interface MatmulOptions {
  readonly accumulate?: boolean;
  /** Forces a variant (tests and benchmarks); otherwise chooseMatmulVariant decides. */
  readonly variant?: MatmulVariant;
}

export function resolveMatmulShape(s: MatmulShape): Required<MatmulShape> {
  const batch = s.batch ?? 1;
  for (const [name, v] of Object.entries({ M: s.M, N: s.N, K: s.K, batch })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`matmul: ${name} = ${v}; every dimension must be a positive integer`);
  }
  return {
    M: s.M,
    N: s.N,
    K: s.K,
    batch,
    strideA: s.strideA ?? s.M * s.K,
    strideB: s.strideB ?? s.K * s.N,
    strideC: s.strideC ?? s.M * s.N,
    transA: s.transA ?? false,
    transB: s.transB ?? false,
  };
}

function checkFits(name: string, slice: BufferSlice, elements: number, shape: Required<MatmulShape>): void {
  if (slice.size < elements * 4) {
    throw new Error(
      `matmul: operand ${name} holds ${slice.size / 4} floats but shape M=${shape.M} N=${shape.N} K=${shape.K} batch=${shape.batch} ` +
        `(strides A ${shape.strideA}, B ${shape.strideB}, C ${shape.strideC}) needs ${elements}`,
    );
  }
}

/** Records C = op(A)·op(B) (+ bias) (+ C). */
export function matmul(rec: Recorder, t: MatmulOperands, shape: MatmulShape, options: MatmulOptions = {}): void {
  const s = resolveMatmulShape(shape);
  checkFits('A', t.a, (s.batch - 1) * s.strideA + s.M * s.K, s);
  checkFits('B', t.b, (s.batch - 1) * s.strideB + s.K * s.N, s);
  checkFits('C', t.c, (s.batch - 1) * s.strideC + s.M * s.N, s);
  if (t.bias) checkFits('bias', t.bias, s.N, s);
  const variant = options.variant ?? chooseMatmulVariant(rec.ctx, s);
  const config: MatmulConfig = { variant, transA: s.transA, transB: s.transB, bias: !!t.bias, accumulate: !!options.accumulate };
  const bind = { a: t.a, b: t.b, bias: t.bias ?? unusedBinding(rec.ctx), c: t.c };
  const u = { M: s.M, N: s.N, K: s.K, batch: s.batch, strideA: s.strideA, strideB: s.strideB, strideC: s.strideC };
  if (variant === 'tiled128') {
    matmulTiled128Kernel.dispatch(rec, { config, bind, uniforms: u, grid: [Math.ceil(s.N / 128), Math.ceil(s.M / 128), s.batch] });
  } else if (variant === 'tiled') {
    matmulTiledKernel.dispatch(rec, { config, bind, uniforms: u, grid: [Math.ceil(s.N / TILE), Math.ceil(s.M / TILE), s.batch] });
  } else if (variant === 'register') {
    matmulRegisterKernel.dispatch(rec, { config, bind, uniforms: u, grid: [Math.ceil(s.N / 32), Math.ceil(s.M / 32), s.batch] });
  } else {
    matmulSimpleKernel.dispatch(rec, { config, bind, uniforms: u, grid: grid1d(rec.ctx, s.M * s.N * s.batch, 64) });
  }
}
