/**
 * Embedding lookup: y[t, :] = E[ids[t], :] for an embedding E [V, D] and u32 ids [T] (the language model's word
 * embedding, the controller's decision embeddings), and its gradient dE[v, :] = Σ_{t: ids[t] = v} dy[t, :].
 *
 * The gradient is a scatter-add, computed without float atomics so it is deterministic: each invocation owns one
 * column d of a block of vocabulary rows, and walks the ids in order, adding the rows that fall in its block. Every
 * element of dE therefore has exactly one writer, which also zeroes it first (accumulate = false). `rowBlocks`
 * splits the vocabulary so that more invocations run (rowBlocks × D of them) at the price of every invocation
 * reading all T ids; 1 is right for a CPU adapter, a large GPU wants rowBlocks × D in the tens of thousands
 * (measure with the benchmarks).
 *
 * An id ≥ V is a caller bug that a GPU buffer cannot report: the forward writes NaN for that row (so the loss
 * shows it) and the backward ignores it.
 *
 * The language model's embedding row dropout (drop whole vocabulary rows) is not fused here: compose
 * `dropoutBroadcast` over E viewed as [1, V, D] with this gather (and their backwards in reverse order).
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

const WG = 64;

export interface EmbeddingShape {
  /** Vocabulary size: rows of E. */
  readonly V: number;
  /** Embedding width: columns of E. */
  readonly D: number;
  /** Number of ids. */
  readonly T: number;
}

export const embeddingGatherKernel = defineKernel({
  name: 'embedding_gather',
  bindings: { table: read(), ids: read('u32'), y: readWrite() },
  uniforms: { V: 'u32', D: 'u32', T: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.T * u.D) { return; }
  let t = i / u.D;
  let d = i - t * u.D;
  let id = ids[t];
  if (id >= u.V) {
    // A quiet NaN built at run time (WGSL rejects a NaN constant expression).
    y[i] = bitcast<f32>(0x7fc00000u | (id & 0u));
    return;
  }
  y[i] = table[id * u.D + d];
}`,
});

export const embeddingBackwardKernel = defineKernel({
  name: 'embedding_backward',
  bindings: { ids: read('u32'), dy: read(), dTable: readWrite() },
  uniforms: { V: 'u32', D: 'u32', T: 'u32', rowsPerBlock: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let d = gid.x;
  if (d >= u.D) { return; }
  let first = gid.y * u.rowsPerBlock;
  let last = min(first + u.rowsPerBlock, u.V);
  ${
    c.accumulate
      ? ''
      : `for (var v = first; v < last; v = v + 1u) {
    dTable[v * u.D + d] = 0.0;
  }`
  }
  // Ids in order: the sum for a row is always formed in the same order, whatever the grid.
  for (var t = 0u; t < u.T; t = t + 1u) {
    let v = ids[t];
    if (v >= first && v < last) {
      dTable[v * u.D + d] = dTable[v * u.D + d] + dy[t * u.D + d];
    }
  }
}`,
});

function checkShape(fn: string, s: EmbeddingShape): void {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; V, D and T must be positive integers`);
  }
  if (s.V * s.D > 2 ** 31 || s.T * s.D > 2 ** 31) throw new Error(`${fn}: [V=${s.V}, D=${s.D}, T=${s.T}] exceeds 2^31 elements`);
}

function checkSize(fn: string, name: string, slice: BufferSlice, count: number, s: EmbeddingShape, what = 'floats'): void {
  if (slice.size < count * 4) {
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} ${what} but [V=${s.V}, D=${s.D}, T=${s.T}] needs ${count}`);
  }
}

/** y [T, D] = table[ids] for table [V, D] and u32 ids [T]. */
export function embeddingGather(rec: Recorder, t: { table: BufferSlice; ids: BufferSlice; y: BufferSlice }, s: EmbeddingShape): void {
  const fn = 'embeddingGather';
  checkShape(fn, s);
  checkSize(fn, 'table', t.table, s.V * s.D, s);
  checkSize(fn, 'ids', t.ids, s.T, s, 'u32');
  checkSize(fn, 'y', t.y, s.T * s.D, s);
  embeddingGatherKernel.dispatch(rec, { bind: t, uniforms: { V: s.V, D: s.D, T: s.T }, grid: grid1d(rec.ctx, s.T * s.D, WG) });
}

export interface EmbeddingBackwardOptions {
  /** dTable += the gradient instead of dTable = the gradient (every row written, unused rows 0). */
  readonly accumulate?: boolean;
  /** Vocabulary blocks run in parallel (default 1); see the file comment. */
  readonly rowBlocks?: number;
}

/** dTable [V, D] (+)= scatter-add of dy [T, D] into the rows ids [T]; deterministic. */
export function embeddingBackward(
  rec: Recorder,
  t: { ids: BufferSlice; dy: BufferSlice; dTable: BufferSlice },
  s: EmbeddingShape,
  options: EmbeddingBackwardOptions = {},
): void {
  const fn = 'embeddingBackward';
  checkShape(fn, s);
  checkSize(fn, 'ids', t.ids, s.T, s, 'u32');
  checkSize(fn, 'dy', t.dy, s.T * s.D, s);
  checkSize(fn, 'dTable', t.dTable, s.V * s.D, s);
  const blocks = options.rowBlocks ?? 1;
  const max = rec.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > Math.min(s.V, max)) {
    throw new Error(`${fn}: rowBlocks = ${blocks}; pass an integer in [1, min(V = ${s.V}, ${max})]`);
  }
  const rowsPerBlock = Math.ceil(s.V / blocks);
  embeddingBackwardKernel.dispatch(rec, {
    config: { accumulate: !!options.accumulate },
    bind: t,
    uniforms: { V: s.V, D: s.D, T: s.T, rowsPerBlock },
    grid: [Math.ceil(s.D / WG), Math.ceil(s.V / rowsPerBlock)],
  });
}
