/**
 * The workgroup tree reduction every long-axis kernel shares (sums, norms, accuracy counts, batch statistics).
 *
 * Each invocation first adds its own strided share of the axis serially (consecutive invocations read consecutive
 * addresses), then the workgroup adds the REDUCE_WG partial results pairwise in log2(REDUCE_WG) rounds. The rounding
 * error of an f32 sum of M values then grows with M / REDUCE_WG + log2(REDUCE_WG) instead of M: for the longest
 * batch-norm axis of ENAS (160·32·32 = 163840 values) that is 648 additions deep instead of 163840.
 */

/** Invocations per reducing workgroup: WebGPU's guaranteed maxComputeInvocationsPerWorkgroup, a power of two. */
export const REDUCE_WG = 256;

export type ReduceType = 'f32' | 'vec2<f32>';

/** Bytes of workgroup memory one `workgroupSumWgsl` function uses. */
export function workgroupSumBytes(type: ReduceType): number {
  return REDUCE_WG * (type === 'f32' ? 4 : 8);
}

/**
 * WGSL for `fn <name>(lid: u32, value: T) -> T`: the sum of `value` over the workgroup, returned to every invocation.
 * It contains barriers, so every invocation must call it, from uniform control flow (no early `return` before it).
 * The kernel's workgroup size must be [REDUCE_WG, 1, 1].
 */
export function workgroupSumWgsl(name: string, type: ReduceType = 'f32'): string {
  return /* wgsl */ `
var<workgroup> ${name}Partials: array<${type}, WG_X>;
fn ${name}(lid: u32, value: ${type}) -> ${type} {
  ${name}Partials[lid] = value;
  workgroupBarrier();
  for (var stride = WG_X / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      ${name}Partials[lid] = ${name}Partials[lid] + ${name}Partials[lid + stride];
    }
    workgroupBarrier();
  }
  let total = ${name}Partials[0];
  // A second call overwrites the partials; nobody may do so before every invocation has read the total.
  workgroupBarrier();
  return total;
}`;
}
