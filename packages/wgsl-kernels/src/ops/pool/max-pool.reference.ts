/**
 * Float64 reference of max pooling and its gradient, written from the definition: every window position is
 * visited (padded ones skipped), first strict maximum in row-major order wins, and the backward scatters each
 * output gradient to its winner (the GPU gathers instead; the two formulations check each other).
 */
import { type Pool2dShape, pool2dGeometry } from './pool-geometry.js';

/** y [N, C, Hout, Wout] and argmax (ih·W + iw within each plane, the kernel's encoding). */
export function maxPool2dRef(x: ArrayLike<number>, shape: Pool2dShape): { y: Float64Array; argmax: Uint32Array } {
  const g = pool2dGeometry(shape, 'maxPool2dRef');
  const planes = g.N * g.C;
  const y = new Float64Array(planes * g.Hout * g.Wout);
  const argmax = new Uint32Array(y.length);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < g.Hout; oh++) {
      for (let ow = 0; ow < g.Wout; ow++) {
        let best = Number.NEGATIVE_INFINITY;
        let bestAt = -1;
        for (let kh = 0; kh < g.kernelSize; kh++) {
          for (let kw = 0; kw < g.kernelSize; kw++) {
            const ih = oh * g.stride - g.padTop + kh;
            const iw = ow * g.stride - g.padLeft + kw;
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
            const v = x[p * g.H * g.W + ih * g.W + iw] as number;
            if (bestAt < 0 || v > best) {
              best = v;
              bestAt = ih * g.W + iw;
            }
          }
        }
        if (bestAt < 0) throw new Error('maxPool2dRef: a window without in-bounds elements; the geometry is wrong');
        const o = (p * g.Hout + oh) * g.Wout + ow;
        y[o] = best;
        argmax[o] = bestAt;
      }
    }
  }
  return { y, argmax };
}

/** dx [N, C, H, W]: dy scattered to the argmax positions, summed where windows share a winner. */
export function maxPool2dBackwardRef(dy: ArrayLike<number>, argmax: ArrayLike<number>, shape: Pool2dShape): Float64Array {
  const g = pool2dGeometry(shape, 'maxPool2dBackwardRef');
  const perOut = g.Hout * g.Wout;
  const dx = new Float64Array(g.N * g.C * g.H * g.W);
  for (let o = 0; o < g.N * g.C * perOut; o++) {
    const plane = Math.floor(o / perOut);
    const at = plane * g.H * g.W + (argmax[o] as number);
    dx[at] = (dx[at] as number) + (dy[o] as number);
  }
  return dx;
}
