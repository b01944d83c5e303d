/**
 * Our side of the conv rows (conv-rows.ts): the operands of one ENAS convolution in NCHW, the engine's layout, and
 * the dispatches of one call, forward or forward + backward, the same work tf.grads does on the tfjs side:
 *
 *   conv       conv2d;                           backward: grad-input, grad-weight
 *   separable  depthwise k×k, then pointwise 1×1  backward: pointwise grad-input and grad-weight, then depthwise
 *                                                           grad-input and grad-weight
 *
 * No bias (tf.conv2d and tf.separableConv2d have none). Variants and split plans are the wrappers' own choices for
 * this adapter, as the engine would get them; the weight gradients' partial sums use the context's workspace.
 */
import type { GpuContext } from '../src/device/context.js';
import { readF32 } from '../src/kernel/readback.js';
import type { Recorder } from '../src/kernel/recorder.js';
import { type BufferSlice, wholeBuffer } from '../src/kernel/slice.js';
import type { Conv2dShape, DepthwiseConv2dShape } from '../src/ops/conv/conv-shape.js';
import { conv2d } from '../src/ops/conv/conv2d.js';
import { conv2dBackwardInput } from '../src/ops/conv/conv2d-backward-input.js';
import { conv2dBackwardWeight } from '../src/ops/conv/conv2d-backward-weight.js';
import { depthwiseConv2d, depthwiseConv2dBackwardInput } from '../src/ops/conv/depthwise-conv2d.js';
import { depthwiseConv2dBackwardWeight } from '../src/ops/conv/depthwise-conv2d-backward-weight.js';
import type { ConvCase } from './conv-rows.js';

/**
 * One case's inputs, generated once and given to both engines (each in its own layout), so the forward results
 * can be compared. Ours: x and dy [N, C, H, W]; conv filter [C, C, k, k]; separable: depthwise [C, k, k] and
 * pointwise [C, C, 1, 1].
 */
export interface ConvData {
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly filters: readonly Float32Array[];
}

export interface PreparedConv {
  record(rec: Recorder): void;
  /** The forward output y [N, C, H, W] after the last recorded call. */
  readY(): Promise<Float32Array>;
  destroy(): void;
}

export function convShapes(c: ConvCase, batch: number): { conv: Conv2dShape; depthwise: DepthwiseConv2dShape; pointwise: Conv2dShape } {
  const common = { N: batch, H: c.size, W: c.size, stride: 1, padding: 'same' as const };
  return {
    conv: { ...common, Cin: c.channels, Cout: c.channels, k: c.kernel },
    depthwise: { ...common, C: c.channels, k: c.kernel },
    pointwise: { ...common, Cin: c.channels, Cout: c.channels, k: 1 },
  };
}

export function prepareOurConv(ctx: GpuContext, c: ConvCase, batch: number, data: ConvData, withBackward: boolean): PreparedConv {
  const owned: BufferSlice[] = [];
  const buffer = (name: string, contents: Float32Array | number): BufferSlice => {
    const slice = wholeBuffer(ctx.createStorageBuffer(`bench ${c.kind} ${name}`, contents));
    owned.push(slice);
    return slice;
  };
  const activation = data.x.length;
  const x = buffer('x', data.x);
  const dy = buffer('dy', data.dy);
  const y = buffer('y', activation * 4);
  const dx = buffer('dx', activation * 4);
  const s = convShapes(c, batch);
  let record: (rec: Recorder) => void;
  if (c.kind === 'conv') {
    const w = buffer('w', data.filters[0] as Float32Array);
    const dw = buffer('dw', w.size);
    record = (rec) => {
      conv2d(rec, { x, w, y }, s.conv);
      if (!withBackward) return;
      conv2dBackwardInput(rec, { w, dy, dx }, s.conv);
      conv2dBackwardWeight(rec, { x, dy, dw }, s.conv);
    };
  } else {
    const wd = buffer('depthwise w', data.filters[0] as Float32Array);
    const wp = buffer('pointwise w', data.filters[1] as Float32Array);
    const [dwd, dwp] = [buffer('depthwise dw', wd.size), buffer('pointwise dw', wp.size)];
    // The depthwise output and its gradient: the pointwise convolution's input and grad-input.
    const [mid, dmid] = [buffer('mid', activation * 4), buffer('dmid', activation * 4)];
    record = (rec) => {
      depthwiseConv2d(rec, { x, w: wd, y: mid }, s.depthwise);
      conv2d(rec, { x: mid, w: wp, y }, s.pointwise);
      if (!withBackward) return;
      conv2dBackwardInput(rec, { w: wp, dy, dx: dmid }, s.pointwise);
      conv2dBackwardWeight(rec, { x: mid, dy, dw: dwp }, s.pointwise);
      depthwiseConv2dBackwardInput(rec, { w: wd, dy: dmid, dx }, s.depthwise);
      depthwiseConv2dBackwardWeight(rec, { x, dy: dmid, dw: dwd }, s.depthwise);
    };
  }
  return {
    record,
    readY: () => readF32(ctx, y),
    destroy: () => {
      for (const slice of owned) ctx.destroyBuffer(slice.buffer);
    },
  };
}
