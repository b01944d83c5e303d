/**
 * Grids. WebGPU caps each grid dimension (65535 by default), so a 1-D problem larger than 65535 workgroups folds
 * into two dimensions; kernels recover the flat index with `flatIndex` below.
 */
import type { GpuContext } from '../device/context.js';

export function grid1d(ctx: GpuContext, count: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(count / workgroupSize);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1, 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw new Error(`a 1-D problem of ${count} elements needs ${groups} workgroups, more than ${max}x${max}`);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL: the flat invocation index of a `grid1d` dispatch. Needs `@builtin(num_workgroups) nwg: vec3u`. */
export const FLAT_INDEX_WGSL = /* wgsl */ `
fn flatIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG_X;
}`;
