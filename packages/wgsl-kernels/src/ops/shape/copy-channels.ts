/**
 * Channel-block copies between NCHW tensors of the same N, H, W: `copyChannels` moves channels
 * [srcOffset, srcOffset + channels) of src [N, srcChannels, H, W] to [dstOffset, dstOffset + channels) of
 * dst [N, dstChannels, H, W], or adds them there. Concatenation along channels (the ENAS cell output, the
 * factorized-reduction paths) is one such copy per input, and its gradient, the split, is the same copy the other
 * way with `accumulate` for inputs whose gradient already holds a contribution.
 *
 * A kernel rather than copyBufferToBuffer: in NCHW a channel block is contiguous only within one batch entry, so a
 * buffer copy would need N copies (each closing the compute pass) and could not accumulate.
 */
import type { GpuContext } from '../../device/context.js';
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkNoOverlap, checkShapeOperand, dims } from './shape-checks.js';

const WG = 256;

export interface CopyChannelsShape {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  /** Channels of the source tensor [N, srcChannels, H, W]. */
  readonly srcChannels: number;
  /** First source channel copied. */
  readonly srcOffset: number;
  /** Channels of the destination tensor [N, dstChannels, H, W]. */
  readonly dstChannels: number;
  /** First destination channel written. */
  readonly dstOffset: number;
  /** Number of channels copied. */
  readonly channels: number;
}

export const copyChannelsKernel = defineKernel({
  name: 'copy_channels',
  bindings: { src: read(), dst: readWrite() },
  // Everything in elements: per batch entry, the block is `block` contiguous floats at srcBase / dstBase.
  uniforms: { total: 'u32', block: 'u32', srcBatchStride: 'u32', srcBase: 'u32', dstBatchStride: 'u32', dstBase: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.total) { return; }
  let n = i / u.block;
  let r = i % u.block;
  let v = src[n * u.srcBatchStride + u.srcBase + r];
  let o = n * u.dstBatchStride + u.dstBase + r;
  ${c.accumulate ? 'dst[o] = dst[o] + v;' : 'dst[o] = v;'}
}`,
});

/** dst[:, dstOffset : dstOffset + channels] = (or +=) src[:, srcOffset : srcOffset + channels]. */
export function copyChannels(
  rec: Recorder,
  t: { readonly src: BufferSlice; readonly dst: BufferSlice },
  shape: CopyChannelsShape,
  accumulate = false,
): void {
  copyChannelsKernel.dispatch(rec, planCopy('copyChannels', rec.ctx, t, shape, accumulate));
}

/**
 * Validates one copy and returns its dispatch; `fn` names the public caller in error messages. Concat and split
 * plan every part before recording any, so a bad part leaves the recorder untouched.
 */
function planCopy(
  fn: string,
  ctx: GpuContext,
  t: { readonly src: BufferSlice; readonly dst: BufferSlice },
  shape: CopyChannelsShape,
  accumulate: boolean,
) {
  const { N, H, W, srcChannels, srcOffset, dstChannels, dstOffset, channels } = shape;
  for (const [name, v] of Object.entries({ N, H, W, srcChannels, dstChannels, channels })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} = ${v}; it must be a positive integer`);
  }
  for (const [side, offset, total] of [
    ['src', srcOffset, srcChannels],
    ['dst', dstOffset, dstChannels],
  ] as const) {
    if (channels > total) throw new Error(`${fn}: copies ${channels} channels but the ${side} tensor has only ${total}`);
    if (!Number.isInteger(offset) || offset < 0 || offset + channels > total) {
      throw new Error(
        `${fn}: channels [${offset}, ${offset + channels}) are outside the ${side} tensor's ${total} channels; ` +
          `the ${side}Offset must be an integer in [0, ${total - channels}]`,
      );
    }
  }
  const area = H * W;
  const desc = `copy of channels [${srcOffset}, ${srcOffset + channels}) of src ${dims(N, srcChannels, H, W)} to [${dstOffset}, ${dstOffset + channels}) of dst ${dims(N, dstChannels, H, W)}`;
  checkShapeOperand(fn, 'src', t.src, N * srcChannels * area, desc);
  checkShapeOperand(fn, 'dst', t.dst, N * dstChannels * area, desc);
  checkNoOverlap(fn, ['src', t.src], ['dst', t.dst]);
  return {
    config: { accumulate },
    bind: { src: t.src, dst: t.dst },
    uniforms: {
      total: N * channels * area,
      block: channels * area,
      srcBatchStride: srcChannels * area,
      srcBase: srcOffset * area,
      dstBatchStride: dstChannels * area,
      dstBase: dstOffset * area,
    },
    grid: grid1d(ctx, N * channels * area, WG),
  };
}

export interface ConcatChannelsShape {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  /** Channels of each part, in concatenation order; the whole has their sum. */
  readonly channels: readonly number[];
}

function checkParts(fn: string, parts: readonly BufferSlice[], shape: ConcatChannelsShape): number {
  if (parts.length === 0 || parts.length !== shape.channels.length) {
    throw new Error(
      `${fn}: ${parts.length} tensors for ${shape.channels.length} channel counts [${shape.channels.join(', ')}]; ` +
        'pass one tensor per entry of shape.channels (at least one)',
    );
  }
  return shape.channels.reduce((a, b) => a + b, 0);
}

/**
 * y [N, ΣCi, H, W] = concat over channels of xs[i] [N, Ci, H, W] (one copyChannels dispatch per part).
 * With `accumulate`, y += the concatenation.
 */
export function concatChannels(
  rec: Recorder,
  t: { readonly xs: readonly BufferSlice[]; readonly y: BufferSlice },
  shape: ConcatChannelsShape,
  accumulate = false,
): void {
  const total = checkParts('concatChannels', t.xs, shape);
  let offset = 0;
  const copies = t.xs.map((x, i) => {
    const channels = shape.channels[i] as number;
    const part = { N: shape.N, H: shape.H, W: shape.W, channels, srcChannels: channels, srcOffset: 0 };
    const plan = planCopy(
      `concatChannels (part ${i})`,
      rec.ctx,
      { src: x, dst: t.y },
      { ...part, dstChannels: total, dstOffset: offset },
      accumulate,
    );
    offset += channels;
    return plan;
  });
  for (const copy of copies) copyChannelsKernel.dispatch(rec, copy);
}

/**
 * dxs[i] [N, Ci, H, W] = channels [ΣC<i, ΣC≤i) of dy [N, ΣCi, H, W]: the split, which is also the gradient of
 * concatChannels. `accumulate` is one flag for all parts or one per part (a part whose gradient already holds
 * another consumer's contribution adds, the others overwrite).
 */
export function splitChannels(
  rec: Recorder,
  t: { readonly dy: BufferSlice; readonly dxs: readonly BufferSlice[] },
  shape: ConcatChannelsShape,
  accumulate: boolean | readonly boolean[] = false,
): void {
  const total = checkParts('splitChannels', t.dxs, shape);
  if (Array.isArray(accumulate) && accumulate.length !== t.dxs.length) {
    throw new Error(
      `splitChannels: ${accumulate.length} accumulate flags for ${t.dxs.length} parts; pass one per part or a single boolean`,
    );
  }
  let offset = 0;
  const copies = t.dxs.map((dx, i) => {
    const channels = shape.channels[i] as number;
    const add = typeof accumulate === 'boolean' ? accumulate : (accumulate[i] as boolean);
    const part = { N: shape.N, H: shape.H, W: shape.W, channels, dstChannels: channels, dstOffset: 0 };
    const plan = planCopy(
      `splitChannels (part ${i})`,
      rec.ctx,
      { src: t.dy, dst: dx },
      { ...part, srcChannels: total, srcOffset: offset },
      add,
    );
    offset += channels;
    return plan;
  });
  for (const copy of copies) copyChannelsKernel.dispatch(rec, copy);
}
