/**
 * Float64 references of conv2d and depthwise conv2d, forward and backward, straight from the definition
 *
 *   y[b, co, oy, ox] = bias[co] + Σ_{ci, ky, kx} w[co, ci, ky, kx] · x[b, ci, oy·s + ky − padTop, ox·s + kx − padLeft]
 *
 * (x is zero outside the image). The backward passes walk the same loops and scatter each output gradient to
 * everything that produced that output: no transposed or flipped kernels, nothing shared with the GPU code but the
 * padding geometry, which conv-shape.test.ts checks against TensorFlow's figures.
 */
import { type Conv2dShape, convOutputSize, type DepthwiseConv2dShape } from './conv-shape.js';

type Values = ArrayLike<number>;

/** Calls `visit(iIndex, oIndex, wIndex)` for every (input, output, weight) triple a convolution multiplies. */
function forEachProduct(
  s: { N: number; Cin: number; Cout: number; H: number; W: number; k: number; stride: number; depthwise: boolean },
  geometry: { Hout: number; Wout: number; padTop: number; padLeft: number },
  visit: (xi: number, yi: number, wi: number) => void,
): void {
  const { Hout, Wout, padTop, padLeft } = geometry;
  for (let b = 0; b < s.N; b++) {
    for (let co = 0; co < s.Cout; co++) {
      for (let oy = 0; oy < Hout; oy++) {
        for (let ox = 0; ox < Wout; ox++) {
          const yi = ((b * s.Cout + co) * Hout + oy) * Wout + ox;
          // A depthwise output channel sees only its own input channel.
          const [ciBegin, ciEnd] = s.depthwise ? [co, co + 1] : [0, s.Cin];
          for (let ci = ciBegin; ci < ciEnd; ci++) {
            for (let ky = 0; ky < s.k; ky++) {
              const iy = oy * s.stride + ky - padTop;
              if (iy < 0 || iy >= s.H) continue;
              for (let kx = 0; kx < s.k; kx++) {
                const ix = ox * s.stride + kx - padLeft;
                if (ix < 0 || ix >= s.W) continue;
                const xi = ((b * s.Cin + ci) * s.H + iy) * s.W + ix;
                const wi = s.depthwise ? (co * s.k + ky) * s.k + kx : ((co * s.Cin + ci) * s.k + ky) * s.k + kx;
                visit(xi, yi, wi);
              }
            }
          }
        }
      }
    }
  }
}

const conv2dGeometry = (s: Conv2dShape) => ({ ...s, depthwise: false });
const depthwiseGeometry = (s: DepthwiseConv2dShape) => ({ ...s, Cin: s.C, Cout: s.C, depthwise: true });

/** y [N, Cout, Hout, Wout] of conv2d(x [N, Cin, H, W], w [Cout, Cin, k, k]) + bias [Cout]. */
export function conv2dRef(x: Values, w: Values, shape: Conv2dShape, bias?: Values): Float64Array {
  const g = convOutputSize(shape);
  const y = new Float64Array(shape.N * shape.Cout * g.Hout * g.Wout);
  forEachProduct(conv2dGeometry(shape), g, (xi, yi, wi) => {
    y[yi] = (y[yi] as number) + (x[xi] as number) * (w[wi] as number);
  });
  if (bias) {
    const plane = g.Hout * g.Wout;
    for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + (bias[Math.floor(i / plane) % shape.Cout] as number);
  }
  return y;
}

/** Gradients of sum(y ⊙ dy) with respect to x, w and bias. */
export function conv2dBackwardRef(
  x: Values,
  w: Values,
  dy: Values,
  shape: Conv2dShape,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const g = convOutputSize(shape);
  const dx = new Float64Array(shape.N * shape.Cin * shape.H * shape.W);
  const dw = new Float64Array(shape.Cout * shape.Cin * shape.k * shape.k);
  const db = new Float64Array(shape.Cout);
  forEachProduct(conv2dGeometry(shape), g, (xi, yi, wi) => {
    dx[xi] = (dx[xi] as number) + (dy[yi] as number) * (w[wi] as number);
    dw[wi] = (dw[wi] as number) + (dy[yi] as number) * (x[xi] as number);
  });
  const plane = g.Hout * g.Wout;
  for (let i = 0; i < dy.length; i++) {
    const co = Math.floor(i / plane) % shape.Cout;
    db[co] = (db[co] as number) + (dy[i] as number);
  }
  return { dx, dw, db };
}

/** y [N, C, Hout, Wout] of the depthwise convolution of x [N, C, H, W] with w [C, k, k]. */
export function depthwiseConv2dRef(x: Values, w: Values, shape: DepthwiseConv2dShape): Float64Array {
  const g = convOutputSize(shape);
  const y = new Float64Array(shape.N * shape.C * g.Hout * g.Wout);
  forEachProduct(depthwiseGeometry(shape), g, (xi, yi, wi) => {
    y[yi] = (y[yi] as number) + (x[xi] as number) * (w[wi] as number);
  });
  return y;
}

/** Gradients of sum(y ⊙ dy) of a depthwise convolution with respect to x and w. */
export function depthwiseConv2dBackwardRef(
  x: Values,
  w: Values,
  dy: Values,
  shape: DepthwiseConv2dShape,
): { dx: Float64Array; dw: Float64Array } {
  const g = convOutputSize(shape);
  const dx = new Float64Array(shape.N * shape.C * shape.H * shape.W);
  const dw = new Float64Array(shape.C * shape.k * shape.k);
  forEachProduct(depthwiseGeometry(shape), g, (xi, yi, wi) => {
    dx[xi] = (dx[xi] as number) + (dy[yi] as number) * (w[wi] as number);
    dw[wi] = (dw[wi] as number) + (dy[yi] as number) * (x[xi] as number);
  });
  return { dx, dw };
}
