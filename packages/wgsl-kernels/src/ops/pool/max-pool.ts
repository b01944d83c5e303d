/**
 * 2-D max pooling, NCHW, k×k window, stride s, TensorFlow 'same' or 'valid' padding (see pool-geometry.ts).
 * Kernel size, stride and padding are uniforms, so one pipeline serves the 3×3 stride-1 pool of the ENAS search
 * cells, the stride-2 pools of fixed reduction cells and any other window.
 *
 * Tie rule: each window is scanned in row-major order (top to bottom, left to right over its in-bounds part) and
 * a value replaces the running maximum only when strictly greater, so the FIRST maximum in that order wins.
 *
 * The forward can save that winner as `argmax`: per output element (laid out like y), the u32 index ih·W + iw of
 * the chosen input inside its own (n, c) plane. The backward routes gradients through `argmax` rather than
 * recomputing the window scan, so forward and backward agree on every tie by construction (no dependence on two
 * kernels rounding or comparing identically), and the backward reads one u32 per covering window instead of
 * re-reading k² inputs each. The cost is one u32 per output element, the size of y.
 *
 * NaN inputs are not specified: WGSL gives no NaN guarantees for comparisons, so a NaN may or may not win.
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

/** One thread per output element; `saveArgmax` adds the argmax store (a separate kernel: it has one more binding). */
const maxPoolWgsl = (saveArgmax: boolean) => /* wgsl */ `
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
  // Start from the window's first in-bounds element: padding never competes.
  var bestAt = rows.x * u.W + cols.x;
  var best = x[base + bestAt];
  for (var ih = rows.x; ih < rows.y; ih = ih + 1u) {
    for (var iw = cols.x; iw < cols.y; iw = iw + 1u) {
      let at = ih * u.W + iw;
      let v = x[base + at];
      if (v > best) {
        best = v;
        bestAt = at;
      }
    }
  }
  y[i] = best;
  ${saveArgmax ? 'argmax[i] = bestAt;' : ''}
}`;

export const maxPool2dKernel = defineKernel({
  name: 'max_pool2d',
  bindings: { x: read(), y: readWrite() },
  uniforms: POOL_UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: () => maxPoolWgsl(false),
});

export const maxPool2dArgmaxKernel = defineKernel({
  name: 'max_pool2d_argmax',
  bindings: { x: read(), y: readWrite(), argmax: readWrite('u32') },
  uniforms: POOL_UNIFORMS,
  workgroupSize: [WG, 1, 1],
  wgsl: () => maxPoolWgsl(true),
});

export interface MaxPool2dOperands {
  /** Input [N, C, H, W]. */
  readonly x: BufferSlice;
  /** Output [N, C, Hout, Wout]. */
  readonly y: BufferSlice;
  /** u32 [N, C, Hout, Wout]: where each maximum came from (ih·W + iw in its plane). Needed by the backward. */
  readonly argmax?: BufferSlice;
}

/** y = max over each window; also writes `argmax` when given (training needs it for the backward). */
export function maxPool2d(rec: Recorder, t: MaxPool2dOperands, shape: Pool2dShape): void {
  const g = pool2dGeometry(shape, 'maxPool2d');
  const desc = `maxPool2d of x ${dims(g.N, g.C, g.H, g.W)} (k ${g.kernelSize}, stride ${g.stride}, ${shape.padding})`;
  const outputs = g.N * g.C * g.Hout * g.Wout;
  checkPoolOperand('maxPool2d', 'x', t.x, g.N * g.C * g.H * g.W, desc);
  checkPoolOperand('maxPool2d', 'y', t.y, outputs, `${desc} -> y ${dims(g.N, g.C, g.Hout, g.Wout)}`);
  const uniforms = poolUniforms(g);
  const grid = grid1d(rec.ctx, outputs, WG);
  if (t.argmax) {
    checkPoolOperand('maxPool2d', 'argmax', t.argmax, outputs, `${desc} -> argmax ${dims(g.N, g.C, g.Hout, g.Wout)}`);
    maxPool2dArgmaxKernel.dispatch(rec, { bind: { x: t.x, y: t.y, argmax: t.argmax }, uniforms, grid });
  } else {
    maxPool2dKernel.dispatch(rec, { bind: { x: t.x, y: t.y }, uniforms, grid });
  }
}
