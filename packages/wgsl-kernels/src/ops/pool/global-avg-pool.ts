/**
 * Global average pooling [N, C, H, W] → [N, C] (the ENAS classifier head, before dropout and the final linear
 * layer), and its gradient dx[n, c, h, w] = dy[n, c] / (H·W).
 *
 * The forward gives each (n, c) plane one workgroup: its threads read the plane with consecutive addresses
 * (coalesced; one thread per plane would stride by H·W between neighbours) and combine partial sums in a tree,
 * so the rounding error grows with log(H·W) rather than H·W.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkPoolOperand, dims } from './pool-geometry.js';

/** Threads per plane (a power of two, for the tree). */
const REDUCE_WG = 64;
const WG = 256;

export interface GlobalAvgPoolShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
}

export const globalAvgPoolKernel = defineKernel({
  name: 'global_avg_pool',
  bindings: { x: read(), y: readWrite() },
  uniforms: { planes: 'u32', area: 'u32' },
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => REDUCE_WG * 4,
  wgsl: () => /* wgsl */ `
var<workgroup> partial: array<f32, ${REDUCE_WG}>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  // grid1d folds more than 65535 planes into a second grid dimension.
  let plane = wid.x + wid.y * nwg.x;
  if (plane >= u.planes) { return; } // uniform per workgroup, so the barriers below stay in uniform control flow
  let base = plane * u.area;
  var s = 0.0;
  for (var p = lid.x; p < u.area; p = p + WG_X) {
    s = s + x[base + p];
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var width = WG_X / 2u; width > 0u; width = width / 2u) {
    if (lid.x < width) { partial[lid.x] = partial[lid.x] + partial[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { y[plane] = partial[0] / f32(u.area); }
}`,
});

export const globalAvgPoolBackwardKernel = defineKernel({
  name: 'global_avg_pool_backward',
  bindings: { dy: read(), dx: readWrite() },
  uniforms: { planes: 'u32', area: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.planes * u.area) { return; }
  let g = dy[i / u.area] / f32(u.area);
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`,
});

function checkShape(fn: string, s: GlobalAvgPoolShape): void {
  for (const [name, v] of Object.entries({ N: s.N, C: s.C, H: s.H, W: s.W })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} = ${v}; it must be a positive integer`);
  }
}

/** y[n, c] = mean over h, w of x[n, c, h, w]. */
export function globalAvgPool(rec: Recorder, t: { readonly x: BufferSlice; readonly y: BufferSlice }, shape: GlobalAvgPoolShape): void {
  checkShape('globalAvgPool', shape);
  const { N, C, H, W } = shape;
  const desc = `globalAvgPool of x ${dims(N, C, H, W)} -> y ${dims(N, C)}`;
  checkPoolOperand('globalAvgPool', 'x', t.x, N * C * H * W, desc);
  checkPoolOperand('globalAvgPool', 'y', t.y, N * C, desc);
  globalAvgPoolKernel.dispatch(rec, {
    bind: { x: t.x, y: t.y },
    uniforms: { planes: N * C, area: H * W },
    // One workgroup per plane.
    grid: grid1d(rec.ctx, N * C * REDUCE_WG, REDUCE_WG),
  });
}

/** dx[n, c, h, w] = dy[n, c] / (H·W) (or dx += it). */
export function globalAvgPoolBackward(
  rec: Recorder,
  t: { readonly dy: BufferSlice; readonly dx: BufferSlice },
  shape: GlobalAvgPoolShape,
  accumulate = false,
): void {
  checkShape('globalAvgPoolBackward', shape);
  const { N, C, H, W } = shape;
  const desc = `globalAvgPoolBackward of x ${dims(N, C, H, W)} with dy ${dims(N, C)}`;
  checkPoolOperand('globalAvgPoolBackward', 'dy', t.dy, N * C, desc);
  checkPoolOperand('globalAvgPoolBackward', 'dx', t.dx, N * C * H * W, desc);
  globalAvgPoolBackwardKernel.dispatch(rec, {
    config: { accumulate },
    bind: { dy: t.dy, dx: t.dx },
    uniforms: { planes: N * C, area: H * W },
    grid: grid1d(rec.ctx, N * C * H * W, WG),
  });
}
