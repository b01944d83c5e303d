/**
 * Time-major sequences [T, B, H] and the two ops the language model needs to move between a whole sequence and its
 * time steps: `timeSlice` (steps start..start+count−1 of a sequence) and `stackSteps` (the inverse, T tensors
 * [B, H] into one [T, B, H]).
 *
 * Time-major because then a time step is one contiguous block, so both are one channel-block copy (wgsl-kernels
 * copyChannels over the sequence viewed as [1, T, 1, B·H]), and a variational dropout mask (one per (b, h), shared
 * over time) is the `variationalDropout` op as it is.
 *
 * A slice cannot be a view at an offset: a binding offset must be a multiple of minStorageBufferOffsetAlignment
 * (256 bytes on many devices) and B·H·4 rarely is, and a view's gradient would alias the whole base gradient.
 */
import { concatChannels, engineOf, record, type Tensor } from '@enas-webgpu/autograd';
import { copyChannels, fill } from '@enas-webgpu/wgsl-kernels';

function sequenceDims(fn: string, x: Tensor): [number, number, number] {
  if (x.shape.length !== 3) throw new Error(`${fn}: '${x.name}' must be a time-major sequence [T, B, H], got [${x.shape.join(', ')}]`);
  return x.shape as unknown as [number, number, number];
}

/** Steps [start, start + count) of x [T, B, H], as [count, B, H]. */
export function timeSlice(x: Tensor, start: number, count = 1): Tensor {
  const fn = 'timeSlice';
  const e = engineOf(x);
  const [T, B, H] = sequenceDims(fn, x);
  if (!Number.isInteger(start) || !Number.isInteger(count) || count < 1 || start < 0 || start + count > T) {
    throw new Error(
      `${fn}: steps [${start}, ${start + count}) are outside '${x.name}' of ${T} steps; pass 0 <= start, 1 <= count, start + count <= ${T}`,
    );
  }
  const y = e.empty([count, B, H], 'timeSlice');
  const view = { N: 1, H: 1, W: B * H, channels: count };
  copyChannels(e.rec, { src: x.data, dst: y.data }, { ...view, srcChannels: T, srcOffset: start, dstChannels: count, dstOffset: 0 });
  return record('timeSlice', [x], y, (g) => {
    const dx = g.into(x);
    if (!dx) return;
    // The slice covers only part of x: a first contribution writes zeros around it, then every one adds.
    if (!dx.accumulate) fill(e.rec, dx.slice, x.size, 0);
    copyChannels(
      e.rec,
      { src: g.of(y), dst: dx.slice },
      { ...view, srcChannels: count, srcOffset: 0, dstChannels: T, dstOffset: start },
      true,
    );
  });
}

/** Time step t of x [T, B, H] as [B, H]. */
export function timeStep(x: Tensor, t: number): Tensor {
  const [, B, H] = sequenceDims('timeStep', x);
  return timeSlice(x, t, 1).reshape([B, H]);
}

/** T tensors [B, H] stacked into [T, B, H] (the concat kernel, one copy per step; its backward splits). */
export function stackSteps(steps: readonly Tensor[]): Tensor {
  const first = steps[0];
  if (!first) throw new Error('stackSteps: no time steps to stack');
  if (first.shape.length !== 2) throw new Error(`stackSteps: a step must be [B, H], got [${first.shape.join(', ')}] ('${first.name}')`);
  const [B, H] = first.shape as [number, number];
  return concatChannels(steps.map((s) => s.reshape([1, 1, B, H]))).reshape([steps.length, B, H]);
}
