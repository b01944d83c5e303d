/**
 * Batched matrix multiply: C[b] = op(A[b]) · op(B[b]) (+ bias) (+ C[b] when accumulating), row-major.
 *
 *   op(A) is M×K: A is stored M×K, or K×M when transA.   op(B) is K×N: B is stored K×N, or N×K when transB.
 *   Batch b reads A at b·strideA, B at b·strideB (0 broadcasts one matrix, e.g. shared weights), C at b·strideC.
 *
 * Four variants, chosen by shape and device in `chooseMatmulVariant` (tfjs-webgpu's idea):
 *   tiled    64×64 output tile per workgroup, 16×16 threads × 4×4 outputs each, A/B tiles staged in workgroup
 *            memory (8 KiB). The GPU path for small and mid-size products.
 *   tiled128 128×128 tiles, 8×8 outputs per thread, vec4 loads, prefetch: large products on GPUs (see below).
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
 * The GPU-grade large-product kernel, after the register-blocked CUDA SGEMMs (siboehm's "kernel 6", CUTLASS's
 * SIMT tiles): a 128×128 output tile per workgroup, 16×16 threads × 8×8 outputs each.
 *   - Operands are bound as vec4 arrays: every global load and store is 16 bytes (so M, N, K must be multiples
 *     of 4; `vec4Compatible` says when, `matmul` refuses otherwise).
 *   - K is staged 8 at a time in workgroup memory as vec4 columns (As[k][g] = rows 4g..4g+3 at k), so each k
 *     costs a thread 4 vec4 workgroup reads for 64 FMAs (the 64×64 `tiled` kernel: 8 scalar reads for 16).
 *     A row of the staging tile is 33 vec4s, one of padding: the transposing stores of a row-major A (or a
 *     transposed B) then hit every bank once instead of twice.
 *   - The next K-slice is loaded into registers before the current one is multiplied, so global-memory latency
 *     hides behind 512 FMAs per thread (software pipelining; one staging buffer, two barriers per slice).
 *   - The 8×8 inner product, the staging and the output stores are unrolled in the generated WGSL: the 64
 *     accumulators are only ever indexed by constants, so they stay registers whatever the compiler's loop heuristics.
 * A thread owns rows ty·4 + {0..3} and 64 + ty·4 + {0..3} of the tile, and the same columns in tx: the 16 threads
 * that share a row of A read one broadcast address, and a warp's B reads are 16 consecutive vec4s.
 */
const STAGE = 33; // vec4s per k-row of a staging tile: 32 + 1 of padding

/** The unrolled 8×8 outer product of one k: acc[r·2 + h] += a_(r) · b_h. */
function outerProduct8x8(): string {
  const lines: string[] = [];
  for (let r = 0; r < 8; r++) {
    const a = `${r < 4 ? 'a0' : 'a1'}.${'xyzw'[r % 4]}`;
    for (let h = 0; h < 2; h++) lines.push(`acc[${r * 2 + h}] = fma(vec4<f32>(${a}), b${h}, acc[${r * 2 + h}]);`);
  }
  return lines.join('\n      ');
}

/**
 * A staged vec4 of 4 consecutive k of one row (row-major A, transposed B) written as one component of 4 staging
 * vec4s; unrolled, so the register vec4 is read with constant indices only.
 */
function transposingStores(tile: string, k: string, row: string, value: string): string {
  return [0, 1, 2, 3].map((i) => `${tile}[(${k} + ${i}u) * STAGE + ${row} / 4u][${row} % 4u] = ${value}.${'xyzw'[i]};`).join('\n    ');
}

/**
 * The thread's 8×8 outputs as 16 vec4 stores, unrolled: a loop indexing acc with a variable could make a shader
 * compiler keep all 64 accumulators in addressable (local) memory instead of registers.
 */
function storeTile(c: MatmulConfig): string {
  const lines: string[] = [];
  for (let r = 0; r < 8; r++) {
    lines.push(`if (row0 + ${Math.floor(r / 4) * 64 + (r % 4)}u + lid.y * 4u < u.M) {`);
    lines.push(`  let m = row0 + ${Math.floor(r / 4) * 64 + (r % 4)}u + lid.y * 4u;`);
    for (let h = 0; h < 2; h++) {
      lines.push(`  if (col0 + ${h * 64}u + lid.x * 4u < u.N) {`);
      lines.push(`    let n = col0 + ${h * 64}u + lid.x * 4u;`);
      lines.push(`    let i = (batch * u.strideC + m * u.N + n) / 4u;`);
      const terms = [`acc[${r * 2 + h}]`];
      if (c.bias) terms.push('bias[n / 4u]');
      if (c.accumulate) terms.push('c[i]');
      lines.push(`    c[i] = ${terms.join(' + ')};`);
      lines.push('  }');
    }
    lines.push('}');
  }
  return lines.join('\n  ');
}

export const matmulTiled128Kernel = defineKernel({
  name: 'matmul_tiled128',
  bindings: { a: read('vec4<f32>'), b: read('vec4<f32>'), bias: read('vec4<f32>'), c: readWrite('vec4<f32>') },
  uniforms,
  workgroupSize: [16, 16, 1],
  workgroupMemoryBytes: () => 2 * 8 * STAGE * 16,
  wgsl: (c: MatmulConfig) => /* wgsl */ `
const STAGE: u32 = ${STAGE}u;
var<workgroup> As: array<vec4<f32>, ${8 * STAGE}>; // As[k * STAGE + g] = rows 4g..4g+3 of the A tile at k
var<workgroup> Bs: array<vec4<f32>, ${8 * STAGE}>; // Bs[k * STAGE + g] = columns 4g..4g+3 of the B tile at k

// The vec4 at an operand's storage position, zero outside the matrix (m, n or k multiples of 4 along the vec4).
fn loadA4(batch: u32, m: u32, k: u32) -> vec4<f32> {
  if (m >= u.M || k >= u.K) { return vec4<f32>(0.0); }
  return a[(batch * u.strideA + ${c.transA ? 'k * u.M + m' : 'm * u.K + k'}) / 4u];
}
fn loadB4(batch: u32, k: u32, n: u32) -> vec4<f32> {
  if (k >= u.K || n >= u.N) { return vec4<f32>(0.0); }
  return b[(batch * u.strideB + ${c.transB ? 'n * u.K + k' : 'k * u.N + n'}) / 4u];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wid.z;
  let row0 = wid.y * 128u;
  let col0 = wid.x * 128u;
  let tid = lid.y * 16u + lid.x;
  // Each thread moves one vec4 of each operand per K-slice (256 × 4 = 128 × 8), along the operand's storage
  // order so that neighbouring threads read neighbouring addresses. Along k (row-major A, transposed B) it is a
  // row's 4 consecutive k, stored as one component of 4 staging vec4s; along m or n it is stored whole.
  ${c.transA ? 'let am = tid % 32u * 4u; let ak = tid / 32u;' : 'let am = tid / 2u; let ak = tid % 2u * 4u;'}
  ${c.transB ? 'let bn = tid / 2u; let bk = tid % 2u * 4u;' : 'let bn = tid % 32u * 4u; let bk = tid / 32u;'}
  var nextA = loadA4(batch, row0 + am, ak);
  var nextB = loadB4(batch, bk, col0 + bn);
  var acc: array<vec4<f32>, 16>; // acc[r * 2 + h]: row r of the thread's 8, columns of half h
  for (var k0 = 0u; k0 < u.K; k0 = k0 + 8u) {
    ${c.transA ? 'As[ak * STAGE + am / 4u] = nextA;' : transposingStores('As', 'ak', 'am', 'nextA')}
    ${c.transB ? transposingStores('Bs', 'bk', 'bn', 'nextB') : 'Bs[bk * STAGE + bn / 4u] = nextB;'}
    workgroupBarrier();
    if (k0 + 8u < u.K) {
      nextA = loadA4(batch, row0 + am, k0 + 8u + ak);
      nextB = loadB4(batch, k0 + 8u + bk, col0 + bn);
    }
    for (var kk = 0u; kk < 8u; kk = kk + 1u) {
      let a0 = As[kk * STAGE + lid.y];
      let a1 = As[kk * STAGE + 16u + lid.y];
      let b0 = Bs[kk * STAGE + lid.x];
      let b1 = Bs[kk * STAGE + 16u + lid.x];
      ${outerProduct8x8()}
    }
    workgroupBarrier();
  }
  ${storeTile(c)}
}`,
});

/**
 * Whether `tiled128` can run a shape: its vec4 operand rows need M, N and K and every batch stride to be
 * multiples of 4 (binding offsets are already 256-byte aligned).
 */
export function vec4Compatible(s: Required<MatmulShape>): boolean {
  return [s.M, s.N, s.K, s.strideA, s.strideB, s.strideC].every((v) => v % 4 === 0);
}

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

/**
 * Shape-driven variant choice; exported so benchmarks and tests can name what ran. On a GPU, products big enough
 * to give every multiprocessor a few 128×128 tiles (≥ 256 of them, e.g. 2048² and up) take `tiled128` when their
 * shape allows vec4 operands; smaller ones keep `tiled`, whose 64×64 tiles fill the machine sooner. The
 * threshold follows the CUDA SGEMM literature, not a measurement of ours: the GPU benchmark times both variants at
 * every size so a GPU run can confirm or move it.
 */
export function chooseMatmulVariant(ctx: GpuContext, shape: MatmulShape): MatmulVariant {
  return chooseResolved(ctx, resolveMatmulShape(shape));
}

function chooseResolved(ctx: GpuContext, s: Required<MatmulShape>): MatmulVariant {
  const outputs = s.M * s.N * s.batch;
  if (outputs < 4096 || s.M < 8 || s.N < 8) return 'simple';
  if (ctx.adapter.isFallbackOrSoftware) return 'register';
  const tiles128 = Math.ceil(s.M / 128) * Math.ceil(s.N / 128) * s.batch;
  return tiles128 >= 256 && vec4Compatible(s) ? 'tiled128' : 'tiled';
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

function checkDimension(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`matmul: ${name} = ${v}; every dimension must be a positive integer`);
}

export function resolveMatmulShape(s: MatmulShape): Required<MatmulShape> {
  const batch = s.batch ?? 1;
  checkDimension('M', s.M);
  checkDimension('N', s.N);
  checkDimension('K', s.K);
  checkDimension('batch', batch);
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
  const variant = options.variant ?? chooseResolved(rec.ctx, s);
  if (variant === 'tiled128' && !vec4Compatible(s)) {
    throw new Error(
      `matmul: variant tiled128 reads and writes vec4s and needs M, N, K and the batch strides to be multiples of 4; ` +
        `got M=${s.M} N=${s.N} K=${s.K} (strides A ${s.strideA}, B ${s.strideB}, C ${s.strideC}); use variant 'tiled'`,
    );
  }
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
