/**
 * Strided spatial sampling, NCHW: y[n, c, oh, ow] = x[n, c, offset + oh·stride, offset + ow·stride], 0 where that
 * position falls outside x, with Hout = ceil(H / stride), Wout = ceil(W / stride) for every offset.
 *
 * These are the two paths of ENAS's factorized reduction (micro_child.py L115-163, general_child.py L129-177;
 * /work/shared/reference/enas-reference-implementations.md §a.3), before each path's 1×1 convolution:
 *   path 1: avg_pool(1×1, stride 2, VALID)                       = x[:, :, 0::2, 0::2]   (stride 2, offset 0)
 *   path 2: pad right/bottom by 1, crop [1:, 1:], then as path 1 = x[:, :, 1::2, 1::2]   (stride 2, offset 1),
 *           where the last row/column of an odd-sized input reads the padding: 0.
 * Both paths therefore have the same ceil(H/2)×ceil(W/2) output, as the channel concat that follows needs.
 *
 * The backward scatters dy back to the sampled positions and writes 0 (or adds nothing) everywhere else. It is
 * written as a gather, one thread per input element, so every dx element is written exactly once.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkShapeOperand, dims } from './shape-checks.js';

const WG = 256;

export interface StridedSampleShape {
  /** Input [N, C, H, W]. */
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly stride: number;
  /** First sampled row and column, in [0, stride). */
  readonly offset: number;
}

const UNIFORMS = { planes: 'u32', H: 'u32', W: 'u32', Hout: 'u32', Wout: 'u32', stride: 'u32', offset: 'u32' } as const;

export const stridedSampleKernel = defineKernel({
  name: 'strided_sample',
  bindings: { x: read(), y: readWrite() },
  uniforms: UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  let perPlane = u.Hout * u.Wout;
  if (i >= u.planes * perPlane) { return; }
  let plane = i / perPlane;
  let ih = u.offset + ((i % perPlane) / u.Wout) * u.stride;
  let iw = u.offset + (i % u.Wout) * u.stride;
  var v = 0.0;
  if (ih < u.H && iw < u.W) { v = x[(plane * u.H + ih) * u.W + iw]; }
  y[i] = v;
}`,
});

export const stridedSampleBackwardKernel = defineKernel({
  name: 'strided_sample_backward',
  bindings: { dy: read(), dx: readWrite() },
  uniforms: UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  let perPlane = u.H * u.W;
  if (i >= u.planes * perPlane) { return; }
  let plane = i / perPlane;
  let ih = (i % perPlane) / u.W;
  let iw = i % u.W;
  var g = 0.0;
  if (ih >= u.offset && iw >= u.offset && (ih - u.offset) % u.stride == 0u && (iw - u.offset) % u.stride == 0u) {
    g = dy[(plane * u.Hout + (ih - u.offset) / u.stride) * u.Wout + (iw - u.offset) / u.stride];
  }
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`,
});

/** [N, C, ceil(H / stride), ceil(W / stride)], validated. */
export function stridedSampleOutputShape(shape: StridedSampleShape, fn = 'stridedSampleOutputShape'): [number, number, number, number] {
  const { N, C, H, W, stride, offset } = shape;
  for (const [name, v] of Object.entries({ N, C, H, W, stride })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} = ${v}; it must be a positive integer`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset >= stride) {
    throw new Error(`${fn}: offset = ${offset} with stride ${stride}; the offset must be an integer in [0, ${stride - 1}]`);
  }
  return [N, C, Math.ceil(H / stride), Math.ceil(W / stride)];
}

function uniformsOf(shape: StridedSampleShape, Hout: number, Wout: number) {
  const { N, C, H, W, stride, offset } = shape;
  return { planes: N * C, H, W, Hout, Wout, stride, offset };
}

/** y = x sampled every `stride` rows and columns starting at `offset` (0 past the edge). */
export function stridedSample(rec: Recorder, t: { readonly x: BufferSlice; readonly y: BufferSlice }, shape: StridedSampleShape): void {
  const [N, C, Hout, Wout] = stridedSampleOutputShape(shape, 'stridedSample');
  const desc = `stridedSample of x ${dims(N, C, shape.H, shape.W)} (stride ${shape.stride}, offset ${shape.offset}) -> y ${dims(N, C, Hout, Wout)}`;
  checkShapeOperand('stridedSample', 'x', t.x, N * C * shape.H * shape.W, desc);
  checkShapeOperand('stridedSample', 'y', t.y, N * C * Hout * Wout, desc);
  stridedSampleKernel.dispatch(rec, {
    bind: { x: t.x, y: t.y },
    uniforms: uniformsOf(shape, Hout, Wout),
    grid: grid1d(rec.ctx, N * C * Hout * Wout, WG),
  });
}

/** dx = dy at the sampled positions, 0 elsewhere (or dx += that). */
export function stridedSampleBackward(
  rec: Recorder,
  t: { readonly dy: BufferSlice; readonly dx: BufferSlice },
  shape: StridedSampleShape,
  accumulate = false,
): void {
  const [N, C, Hout, Wout] = stridedSampleOutputShape(shape, 'stridedSampleBackward');
  const desc = `stridedSampleBackward of x ${dims(N, C, shape.H, shape.W)} (stride ${shape.stride}, offset ${shape.offset}) with dy ${dims(N, C, Hout, Wout)}`;
  checkShapeOperand('stridedSampleBackward', 'dy', t.dy, N * C * Hout * Wout, desc);
  checkShapeOperand('stridedSampleBackward', 'dx', t.dx, N * C * shape.H * shape.W, desc);
  stridedSampleBackwardKernel.dispatch(rec, {
    config: { accumulate },
    bind: { dy: t.dy, dx: t.dx },
    uniforms: uniformsOf(shape, Hout, Wout),
    grid: grid1d(rec.ctx, N * C * shape.H * shape.W, WG),
  });
}
