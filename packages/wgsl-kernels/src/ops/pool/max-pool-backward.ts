/**
 * Gradient of max pooling: each output gradient goes to the input its forward chose (the saved `argmax`), and an
 * input chosen by several overlapping windows (stride < k) receives their sum.
 *
 * Gathered, one thread per input element: the thread visits the few outputs whose windows cover its position
 * (at most ceil(k/s)² of them) and adds dy where argmax points at it. That writes every dx element exactly once,
 * zeros included, without atomics and in a fixed order (deterministic sums).
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import {
  checkPoolOperand,
  dims,
  POOL_UNIFORMS,
  POOL_WINDOW_WGSL,
  type Pool2dShape,
  pool2dGeometry,
  poolUniforms,
} from './pool-geometry.js';

const WG = 256;

export const maxPool2dBackwardKernel = defineKernel({
  name: 'max_pool2d_backward',
  bindings: { dy: read(), argmax: read('u32'), dx: readWrite() },
  uniforms: POOL_UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${POOL_WINDOW_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  let perPlane = u.H * u.W;
  if (i >= u.planes * perPlane) { return; }
  let plane = i / perPlane;
  let here = i % perPlane;
  let ih = here / u.W;
  let iw = here % u.W;
  let rows = coveringOutputs(ih, u.padTop, u.Hout);
  let cols = coveringOutputs(iw, u.padLeft, u.Wout);
  let outBase = plane * u.Hout * u.Wout;
  var g = 0.0;
  for (var oh = rows.x; oh < rows.y; oh = oh + 1u) {
    for (var ow = cols.x; ow < cols.y; ow = ow + 1u) {
      let o = outBase + oh * u.Wout + ow;
      if (argmax[o] == here) { g = g + dy[o]; }
    }
  }
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`,
});

export interface MaxPool2dGradients {
  /** Gradient of the output [N, C, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** The u32 argmax the forward (`maxPool2d` with `argmax`) wrote for the same shape. */
  readonly argmax: BufferSlice;
  /** Gradient of the input [N, C, H, W]: written, or added to when `accumulate`. */
  readonly dx: BufferSlice;
}

/** dx = the max-pool gradient (or dx += it). Needs the forward's argmax; not x or y. */
export function maxPool2dBackward(rec: Recorder, t: MaxPool2dGradients, shape: Pool2dShape, accumulate = false): void {
  const g = pool2dGeometry(shape, 'maxPool2dBackward');
  const desc = `maxPool2dBackward of x ${dims(g.N, g.C, g.H, g.W)} (k ${g.kernelSize}, stride ${g.stride}, ${shape.padding})`;
  const outputs = g.N * g.C * g.Hout * g.Wout;
  const inputs = g.N * g.C * g.H * g.W;
  checkPoolOperand('maxPool2dBackward', 'dy', t.dy, outputs, `${desc} with dy ${dims(g.N, g.C, g.Hout, g.Wout)}`);
  checkPoolOperand('maxPool2dBackward', 'argmax', t.argmax, outputs, `${desc} with argmax ${dims(g.N, g.C, g.Hout, g.Wout)}`);
  checkPoolOperand('maxPool2dBackward', 'dx', t.dx, inputs, desc);
  maxPool2dBackwardKernel.dispatch(rec, {
    config: { accumulate },
    bind: { dy: t.dy, argmax: t.argmax, dx: t.dx },
    uniforms: poolUniforms(g),
    grid: grid1d(rec.ctx, inputs, WG),
  });
}
