/**
 * Float64 reference of strided sampling, written as ENAS's factorized reduction states it (micro_child.py
 * L115-163): pad the bottom/right with `offset` zero rows/columns, crop the first `offset`, then keep every
 * `stride`-th row and column from the first (a 1×1 average pool, stride `stride`, VALID). The backward is the
 * transpose of that selection.
 */
import { type StridedSampleShape, stridedSampleOutputShape } from './strided-sample.js';

export function stridedSampleRef(x: ArrayLike<number>, shape: StridedSampleShape): Float64Array {
  const { H, W, stride, offset } = shape;
  const [N, C, Hout, Wout] = stridedSampleOutputShape(shape, 'stridedSampleRef');
  // The padded-and-cropped image: element (h, w) is x[h + offset, w + offset], or the zero padding past the edge.
  const cropped = (p: number, h: number, w: number) =>
    h + offset < H && w + offset < W ? (x[(p * H + h + offset) * W + w + offset] as number) : 0;
  const y = new Float64Array(N * C * Hout * Wout);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < Hout; oh++) {
      for (let ow = 0; ow < Wout; ow++) y[(p * Hout + oh) * Wout + ow] = cropped(p, oh * stride, ow * stride);
    }
  }
  return y;
}

export function stridedSampleBackwardRef(dy: ArrayLike<number>, shape: StridedSampleShape): Float64Array {
  const { H, W, stride, offset } = shape;
  const [N, C, Hout, Wout] = stridedSampleOutputShape(shape, 'stridedSampleBackwardRef');
  const dx = new Float64Array(N * C * H * W);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < Hout; oh++) {
      for (let ow = 0; ow < Wout; ow++) {
        const [h, w] = [oh * stride + offset, ow * stride + offset];
        // Gradients that land on the zero padding are dropped.
        if (h < H && w < W) dx[(p * H + h) * W + w] = dy[(p * Hout + oh) * Wout + ow] as number;
      }
    }
  }
  return dx;
}
