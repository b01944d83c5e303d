/** Float64 references of channel concatenation and split (NCHW), from their definitions. */
import type { ConcatChannelsShape, CopyChannelsShape } from './copy-channels.js';

/** A copy of `dst` whose channel block [dstOffset, dstOffset + channels) is set to (or increased by) src's block. */
export function copyChannelsRef(
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  shape: CopyChannelsShape,
  accumulate = false,
): Float64Array {
  const area = shape.H * shape.W;
  const out = Float64Array.from(dst);
  for (let n = 0; n < shape.N; n++) {
    for (let c = 0; c < shape.channels; c++) {
      for (let p = 0; p < area; p++) {
        const v = src[(n * shape.srcChannels + shape.srcOffset + c) * area + p] as number;
        const o = (n * shape.dstChannels + shape.dstOffset + c) * area + p;
        out[o] = (accumulate ? (out[o] as number) : 0) + v;
      }
    }
  }
  return out;
}

/** y [N, ΣCi, H, W] with y[n, off_i + c] = xs[i][n, c]. */
export function concatChannelsRef(xs: readonly ArrayLike<number>[], shape: ConcatChannelsShape): Float64Array {
  const { N, H, W, channels } = shape;
  const area = H * W;
  const total = channels.reduce((a, b) => a + b, 0);
  const y = new Float64Array(N * total * area);
  for (let n = 0; n < N; n++) {
    let offset = 0;
    xs.forEach((x, i) => {
      const ci = channels[i] as number;
      for (let c = 0; c < ci; c++) {
        for (let p = 0; p < area; p++) y[(n * total + offset + c) * area + p] = x[(n * ci + c) * area + p] as number;
      }
      offset += ci;
    });
  }
  return y;
}

/** The parts [N, Ci, H, W] of y [N, ΣCi, H, W]: the inverse of concatChannelsRef and its gradient. */
export function splitChannelsRef(y: ArrayLike<number>, shape: ConcatChannelsShape): Float64Array[] {
  const { N, H, W, channels } = shape;
  const area = H * W;
  const total = channels.reduce((a, b) => a + b, 0);
  let offset = 0;
  return channels.map((ci) => {
    const part = new Float64Array(N * ci * area);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < ci; c++) {
        for (let p = 0; p < area; p++) part[(n * ci + c) * area + p] = y[(n * total + offset + c) * area + p] as number;
      }
    }
    offset += ci;
    return part;
  });
}
