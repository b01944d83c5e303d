/**
 * Float64 reference of average pooling with padding excluded from the divisor, and its gradient (each output
 * gradient spread evenly over its window's in-bounds elements), from the definition.
 */
import { type Pool2dGeometry, type Pool2dShape, pool2dGeometry } from './pool-geometry.js';

/** Calls `visit(inputIndex)` for each in-bounds element of output (plane, oh, ow)'s window; returns their count. */
function forWindow(g: Pool2dGeometry, plane: number, oh: number, ow: number, visit: (i: number) => void): number {
  let count = 0;
  for (let kh = 0; kh < g.kernelSize; kh++) {
    for (let kw = 0; kw < g.kernelSize; kw++) {
      const ih = oh * g.stride - g.padTop + kh;
      const iw = ow * g.stride - g.padLeft + kw;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      visit((plane * g.H + ih) * g.W + iw);
      count++;
    }
  }
  return count;
}

export function avgPool2dRef(x: ArrayLike<number>, shape: Pool2dShape): Float64Array {
  const g = pool2dGeometry(shape, 'avgPool2dRef');
  const y = new Float64Array(g.N * g.C * g.Hout * g.Wout);
  for (let p = 0; p < g.N * g.C; p++) {
    for (let oh = 0; oh < g.Hout; oh++) {
      for (let ow = 0; ow < g.Wout; ow++) {
        let s = 0;
        const count = forWindow(g, p, oh, ow, (i) => {
          s += x[i] as number;
        });
        y[(p * g.Hout + oh) * g.Wout + ow] = s / count;
      }
    }
  }
  return y;
}

export function avgPool2dBackwardRef(dy: ArrayLike<number>, shape: Pool2dShape): Float64Array {
  const g = pool2dGeometry(shape, 'avgPool2dBackwardRef');
  const dx = new Float64Array(g.N * g.C * g.H * g.W);
  for (let p = 0; p < g.N * g.C; p++) {
    for (let oh = 0; oh < g.Hout; oh++) {
      for (let ow = 0; ow < g.Wout; ow++) {
        const count = forWindow(g, p, oh, ow, () => {});
        const share = (dy[(p * g.Hout + oh) * g.Wout + ow] as number) / count;
        forWindow(g, p, oh, ow, (i) => {
          dx[i] = (dx[i] as number) + share;
        });
      }
    }
  }
  return dx;
}
