/**
 * 2-D average pooling, NCHW, k×k window, stride s, TensorFlow 'same' or 'valid' padding (see pool-geometry.ts).
 * The average EXCLUDES padding: each window divides by its number of in-bounds elements, as TensorFlow's avg_pool
 * with SAME does (PyTorch's count_include_pad=False), so border outputs are not pulled towards 0.
 *
 * Kernel size, stride and padding are uniforms: the same pipeline serves the 3×3 stride-1 'same' pool of the
 * ENAS cells, stride-2 pools of fixed reduction cells, and the auxiliary head's 5×5 stride-3 'valid' pool.
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

export const avgPool2dKernel = defineKernel({
  name: 'avg_pool2d',
  bindings: { x: read(), y: readWrite() },
  uniforms: POOL_UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
${POOL_WINDOW_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  let perPlane = u.Hout * u.Wout;
  if (i >= u.planes * perPlane) { return; }
  let plane = i / perPlane;
  let oh = (i % perPlane) / u.Wout;
  let ow = i % u.Wout;
  let rows = windowRange(oh, u.padTop, u.H);
  let cols = windowRange(ow, u.padLeft, u.W);
  let base = plane * u.H * u.W;
  var s = 0.0;
  for (var ih = rows.x; ih < rows.y; ih = ih + 1u) {
    for (var iw = cols.x; iw < cols.y; iw = iw + 1u) {
      s = s + x[base + ih * u.W + iw];
    }
  }
  y[i] = s / f32((rows.y - rows.x) * (cols.y - cols.x));
}`,
});

export interface AvgPool2dOperands {
  /** Input [N, C, H, W]. */
  readonly x: BufferSlice;
  /** Output [N, C, Hout, Wout]. */
  readonly y: BufferSlice;
}

/** y = mean of each window's in-bounds elements. */
export function avgPool2d(rec: Recorder, t: AvgPool2dOperands, shape: Pool2dShape): void {
  const g = pool2dGeometry(shape, 'avgPool2d');
  const desc = `avgPool2d of x ${dims(g.N, g.C, g.H, g.W)} (k ${g.kernelSize}, stride ${g.stride}, ${shape.padding})`;
  const outputs = g.N * g.C * g.Hout * g.Wout;
  checkPoolOperand('avgPool2d', 'x', t.x, g.N * g.C * g.H * g.W, desc);
  checkPoolOperand('avgPool2d', 'y', t.y, outputs, `${desc} -> y ${dims(g.N, g.C, g.Hout, g.Wout)}`);
  avgPool2dKernel.dispatch(rec, { bind: { x: t.x, y: t.y }, uniforms: poolUniforms(g), grid: grid1d(rec.ctx, outputs, WG) });
}
