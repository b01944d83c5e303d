/**
 * conv2d grad-bias: db[c] = Σ_{b, p} dy[b, c, p], a per-channel sum over batch and space of an NCHW tensor.
 *
 * One workgroup of 256 threads per (channel, split of the batch); the threads cover the [images × plane] block as
 * `lanes` threads along the plane (a power of two ≥ Hout·Wout where possible, so an 8×8 plane does not leave three
 * quarters of them idle) times 256 / lanes images at a time, with no division in the loop. The 256 partial sums
 * meet in a workgroup tree; splits of the batch add up in sumPartials (split-reduction.ts).
 */
import type { GpuContext } from '../../device/context.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { type Conv2dShape, checkNoOverlap, checkOperand, resolveConv2dShape } from './conv-shape.js';
import type { ConvReductionOptions } from './conv2d-backward-weight.js';
import { planeLanes, planSplits, type SplitPlan, sumPartials, workspaceFor } from './split-reduction.js';

const WG = 256;

export const channelSumKernel = defineKernel({
  name: 'channel_sum',
  bindings: { dy: read(), out: readWrite() },
  uniforms: { N: 'u32', C: 'u32', plane: 'u32', lanes: 'u32', imagesPerSplit: 'u32' },
  workgroupSize: [WG, 1, 1],
  workgroupMemoryBytes: () => WG * 4,
  wgsl: (c: { partial: boolean; accumulate: boolean }) => /* wgsl */ `
var<workgroup> sums: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let ch = wid.x;
  let bEnd = min((wid.y + 1u) * u.imagesPerSplit, u.N);
  var s = 0.0;
  for (var b = wid.y * u.imagesPerSplit + lid.x / u.lanes; b < bEnd; b = b + WG_X / u.lanes) {
    let base = (b * u.C + ch) * u.plane;
    for (var p = lid.x % u.lanes; p < u.plane; p = p + u.lanes) {
      s = s + dy[base + p];
    }
  }
  sums[lid.x] = s;
  workgroupBarrier();
  for (var width = WG_X / 2u; width > 0u; width = width / 2u) {
    if (lid.x < width) { sums[lid.x] = sums[lid.x] + sums[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    ${c.partial ? 'out[wid.y * u.C + ch] = sums[0];' : c.accumulate ? 'out[ch] = out[ch] + sums[0];' : 'out[ch] = sums[0];'}
  }
}`,
});

export interface Conv2dBackwardBiasOperands {
  /** Output gradient [N, Cout, Hout, Wout]. */
  readonly dy: BufferSlice;
  /** Bias gradient [Cout], written (or added to with `accumulate`). */
  readonly db: BufferSlice;
  /** Room for the partial sums (conv2dBackwardBiasPlan().workspaceFloats); omitted = a workspace of the context. */
  readonly workspace?: BufferSlice;
}

/** How conv2dBackwardBias splits the batch for this shape on this device, and the workspace it needs. */
export function conv2dBackwardBiasPlan(ctx: GpuContext, shape: Conv2dShape, options: Pick<ConvReductionOptions, 'splits'> = {}): SplitPlan {
  const s = resolveConv2dShape('conv2dBackwardBias', shape);
  // Splits are whole images; a workgroup should see at least ~4096 terms before its tree. Each thread adds
  // images·plane / 256 terms serially before the tree: short enough with no cap.
  return planSplits(ctx, {
    length: s.N,
    outputs: s.Cout,
    outputWorkgroups: s.Cout,
    minChunk: Math.ceil(4096 / s.HWout),
    maxChunk: Number.POSITIVE_INFINITY,
    align: 1,
    forced: options.splits,
  });
}

/** Records db[c] = Σ dy[·, c, ·, ·] (or db += it). */
export function conv2dBackwardBias(
  rec: Recorder,
  t: Conv2dBackwardBiasOperands,
  shape: Conv2dShape,
  options: Pick<ConvReductionOptions, 'accumulate' | 'splits'> = {},
): void {
  const fn = 'conv2dBackwardBias';
  const s = resolveConv2dShape(fn, shape);
  checkOperand(fn, 'dy', t.dy, s.N * s.Cout * s.HWout, `N·Cout·Hout·Wout with Hout=${s.Hout} Wout=${s.Wout}`, s.text);
  checkOperand(fn, 'db', t.db, s.Cout, 'Cout', s.text);
  checkNoOverlap(
    fn,
    ['db', t.db],
    [
      ['dy', t.dy],
      ['workspace', t.workspace],
    ],
  );
  const plan = conv2dBackwardBiasPlan(rec.ctx, shape, options);
  const accumulate = !!options.accumulate;
  const workspace = workspaceFor(rec, fn, plan, t.workspace);
  if (workspace) checkNoOverlap(fn, ['workspace', workspace], [['dy', t.dy]]);
  channelSumKernel.dispatch(rec, {
    config: { partial: !!workspace, accumulate: !workspace && accumulate },
    bind: { dy: t.dy, out: workspace ?? t.db },
    uniforms: { N: s.N, C: s.Cout, plane: s.HWout, lanes: planeLanes(s.HWout, WG), imagesPerSplit: plan.chunk },
    grid: [s.Cout, plan.splits, 1],
  });
  if (workspace) sumPartials(rec, workspace, t.db, s.Cout, plan.splits, accumulate);
}
