/**
 * Gradient of average pooling (padding excluded): dx[i] = Σ over the windows w covering i of dy[w] / count(w),
 * where count(w) is the number of in-bounds elements of window w (the forward's divisor).
 *
 * Gathered, one thread per input element, as in max-pool-backward.ts: each thread visits the at most ceil(k/s)²
 * covering windows, recomputes their counts from the geometry (cheaper than storing them) and sums; no atomics,
 * a fixed summation order, every dx element written once. Positions no window covers ('valid' with a stride
 * that skips the tail) get 0.
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

export const avgPool2dBackwardKernel = defineKernel({
  name: 'avg_pool2d_backward',
  bindings: { dy: read(), dx: readWrite() },
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
  let ih = (i % perPlane) / u.W;
  let iw = i % u.W;
  let outRows = coveringOutputs(ih, u.padTop, u.Hout);
  let outCols = coveringOutputs(iw, u.padLeft, u.Wout);
  let outBase = plane * u.Hout * u.Wout;
  var g = 0.0;
  for (var oh = outRows.x; oh < outRows.y; oh = oh + 1u) {
    let rows = windowRange(oh, u.padTop, u.H);
    for (var ow = outCols.x; ow < outCols.y; ow = ow + 1u) {
      let cols = windowRange(ow, u.padLeft, u.W);
      let count = f32((rows.y - rows.x) * (cols.y - cols.x));
      g = g + dy[outBase + oh * u.Wout + ow] / count;
    }
  }
  ${c.accumulate ? 'dx[i] = dx[i] + g;' : 'dx[i] = g;'}
}`,
});

export interface AvgPool2dGradients {
  /** Gradient of the output [N, C, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Gradient of the input [N, C, H, W]: written, or added to when `accumulate`. */
  readonly dx: BufferSlice;
}

/** dx = the average-pool gradient (or dx += it). Needs only dy: the forward is linear. */
export function avgPool2dBackward(rec: Recorder, t: AvgPool2dGradients, shape: Pool2dShape, accumulate = false): void {
  const g = pool2dGeometry(shape, 'avgPool2dBackward');
  const desc = `avgPool2dBackward of x ${dims(g.N, g.C, g.H, g.W)} (k ${g.kernelSize}, stride ${g.stride}, ${shape.padding})`;
  const inputs = g.N * g.C * g.H * g.W;
  checkPoolOperand('avgPool2dBackward', 'dy', t.dy, g.N * g.C * g.Hout * g.Wout, `${desc} with dy ${dims(g.N, g.C, g.Hout, g.Wout)}`);
  checkPoolOperand('avgPool2dBackward', 'dx', t.dx, inputs, desc);
  avgPool2dBackwardKernel.dispatch(rec, {
    config: { accumulate },
    bind: { dy: t.dy, dx: t.dx },
    uniforms: poolUniforms(g),
    grid: grid1d(rec.ctx, inputs, WG),
  });
}
