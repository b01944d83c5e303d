/**
 * The global L2 norm of a set of tensors, sqrt(Σ_t Σ_i t_i²), as tf.clip_by_global_norm computes it for gradient
 * clipping. The result is written into one element of a small buffer (typically the optimizer's `hyper` buffer,
 * see ops/optim/hyper.ts) and never read back: clipScale turns it into a gradient scale on the GPU.
 *
 * Two stages, so that large gradient tensors are read by many workgroups at once:
 *   1. per tensor, one dispatch of up to PARTIALS_PER_TENSOR workgroups, each writing the sum of squares of its
 *      strided share into its own element of `partials` (disjoint ranges per tensor, so no atomics);
 *   2. one workgroup sums all partials and stores the square root (reduce_scalar, see sum.ts).
 * A WebGPU dispatch binds a fixed number of buffers, hence one stage-1 dispatch per tensor; tensors that share a
 * buffer (a weight pool) can be passed as one slice spanning them.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkOutIndex, type ReduceScalarConfig, reduceScalarKernel } from './sum.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from './workgroup-sum.js';

/**
 * At most this many workgroups read one tensor: 64 × 256 invocations keep a large GPU's memory system busy, and the
 * final single-workgroup stage then reads at most 64 partials per tensor.
 */
export const PARTIALS_PER_TENSOR = 64;

export const sumSquaresPartialKernel = defineKernel({
  name: 'sum_squares_partial',
  bindings: { x: read(), partials: readWrite() },
  uniforms: { n: 'u32', base: 'u32' },
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: () => /* wgsl */ `
${workgroupSumWgsl('workgroupSum')}
@compute @workgroup_size(WG_X)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  var s = 0.0;
  let stride = nwg.x * WG_X;
  for (var i = wid.x * WG_X + lid; i < u.n; i = i + stride) {
    let v = x[i];
    s = fma(v, v, s);
  }
  let total = workgroupSum(lid, s);
  if (lid == 0u) {
    partials[u.base + wid.x] = total;
  }
}`,
});

/** A tensor given as a slice of exactly its values, or as a slice and an element count (a padded arena slice). */
export type NormTensor = BufferSlice | { readonly slice: BufferSlice; readonly count: number };

function tensorParts(t: NormTensor): { slice: BufferSlice; count: number } {
  return 'slice' in t ? t : { slice: t, count: Math.floor(t.size / 4) };
}

function partialsOf(count: number): number {
  return Math.min(PARTIALS_PER_TENSOR, Math.ceil(count / REDUCE_WG));
}

/** Floats the `partials` scratch buffer of `globalNorm` must hold for tensors of these element counts. */
export function globalNormPartialCount(counts: readonly number[]): number {
  return counts.reduce((s, n) => s + partialsOf(n), 0);
}

export interface GlobalNormOperands {
  readonly tensors: readonly NormTensor[];
  /** Scratch of at least globalNormPartialCount(counts) floats; must not overlap `out` or any tensor. */
  readonly partials: BufferSlice;
  /** Receives the norm at element `outIndex`. */
  readonly out: BufferSlice;
}

/** out[outIndex] = sqrt(Σ over all tensors of Σ x²). */
export function globalNorm(rec: Recorder, t: GlobalNormOperands, options: { readonly outIndex?: number } = {}): void {
  const outIndex = options.outIndex ?? 0;
  if (t.tensors.length === 0) throw new Error('globalNorm: no tensors given; pass at least one gradient slice');
  const parts = t.tensors.map(tensorParts);
  parts.forEach(({ slice, count }, i) => {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`globalNorm: tensor ${i} has ${count} elements; every tensor needs at least one`);
    if (slice.size < count * 4) {
      throw new Error(`globalNorm: tensor ${i} is a slice of ${Math.floor(slice.size / 4)} floats but its count is ${count}`);
    }
  });
  const needed = globalNormPartialCount(parts.map((p) => p.count));
  if (t.partials.size < needed * 4) {
    throw new Error(
      `globalNorm: partials holds ${Math.floor(t.partials.size / 4)} floats but these ${parts.length} tensors need ${needed}; ` +
        'size it with globalNormPartialCount(counts)',
    );
  }
  checkOutIndex('globalNorm', t.out, outIndex);

  let base = 0;
  for (const { slice, count } of parts) {
    const groups = partialsOf(count);
    sumSquaresPartialKernel.dispatch(rec, { bind: { x: slice, partials: t.partials }, uniforms: { n: count, base }, grid: [groups] });
    base += groups;
  }
  const config: ReduceScalarConfig = { squares: false, finish: 'sqrt', accumulate: false };
  reduceScalarKernel.dispatch(rec, { config, bind: { x: t.partials, out: t.out }, uniforms: { n: base, outIndex }, grid: [1] });
}
