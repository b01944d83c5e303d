/** Channel concat and the strided spatial sampling of ENAS's factorized reduction. */
import {
  concatChannels as concatKernel,
  copyChannels,
  stridedSample as sampleKernel,
  stridedSampleBackward,
  stridedSampleOutputShape,
} from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

/** Concatenates NCHW tensors of equal N, H, W along channels. */
export function concatChannels(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new Error('concatChannels: nothing to concatenate');
  const e = engineOf(...xs);
  const [N, , H, W] = (xs[0] as Tensor).shape as number[];
  for (const x of xs) {
    if (x.shape.length !== 4 || x.shape[0] !== N || x.shape[2] !== H || x.shape[3] !== W) {
      throw new Error(`concatChannels: '${x.name}' [${x.shape.join(', ')}] does not match [${N}, *, ${H}, ${W}]`);
    }
  }
  const channels = xs.map((x) => x.shape[1] as number);
  const total = channels.reduce((a, b) => a + b, 0);
  const dims = { N: N as number, H: H as number, W: W as number };
  const y = e.empty([dims.N, total, dims.H, dims.W], 'concat');
  concatKernel(e.rec, { xs: xs.map((x) => x.data), y: y.data }, { ...dims, channels });
  return record('concatChannels', xs, y, (g) => {
    const dy = g.of(y);
    let offset = 0;
    xs.forEach((x, i) => {
      const c = channels[i] as number;
      const dx = g.into(x);
      if (dx) {
        copyChannels(
          e.rec,
          { src: dy, dst: dx.slice },
          { ...dims, srcChannels: total, srcOffset: offset, dstChannels: c, dstOffset: 0, channels: c },
          dx.accumulate,
        );
      }
      offset += c;
    });
  });
}

/** x[:, :, offset::stride, offset::stride], zeros where the index falls outside (factorized reduction's paths). */
export function stridedSample(x: Tensor, stride: number, offset: number): Tensor {
  const e = engineOf(x);
  if (x.shape.length !== 4) throw new Error(`stridedSample: '${x.name}' must be NCHW, got [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const shape = { N, C, H, W, stride, offset };
  const y = e.empty(stridedSampleOutputShape(shape), 'stridedSample');
  sampleKernel(e.rec, { x: x.data, y: y.data }, shape);
  return record('stridedSample', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) stridedSampleBackward(e.rec, { dy: g.of(y), dx: dx.slice }, shape, dx.accumulate);
  });
}
