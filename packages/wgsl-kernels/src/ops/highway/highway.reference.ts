/** Float64 reference of the ENAS highway mix, out = s + σ(t_pre) ⊙ (f(h_pre) − s), and its gradients. */
import { UNARY_OPS, type UnaryOp } from '../elementwise/unary-ops.js';
import type { HighwayLayout, HighwayShape } from './highway.js';

/** Indices of h_pre(k) and t_pre(k) in `pre` for the flat index k = b·H + j. */
function preIndices(k: number, s: HighwayShape, layout: HighwayLayout): [number, number] {
  const b = Math.floor(k / s.H);
  const j = k - b * s.H;
  return layout === 'rows' ? [b * 2 * s.H + j, b * 2 * s.H + s.H + j] : [k, s.B * s.H + k];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function highwayRef(
  pre: ArrayLike<number>,
  sPrev: ArrayLike<number>,
  shape: HighwayShape,
  f: UnaryOp,
  layout: HighwayLayout = 'rows',
): Float64Array {
  const out = new Float64Array(shape.B * shape.H);
  for (let k = 0; k < out.length; k++) {
    const [hi, ti] = preIndices(k, shape, layout);
    const c = sigmoid(pre[ti] as number);
    const prev = sPrev[k] as number;
    out[k] = prev + c * (UNARY_OPS[f].cpu(pre[hi] as number) - prev);
  }
  return out;
}

/** dPre (in `layout`) and ds for the gradient dOut of out. */
export function highwayBackwardRef(
  pre: ArrayLike<number>,
  sPrev: ArrayLike<number>,
  dOut: ArrayLike<number>,
  shape: HighwayShape,
  f: UnaryOp,
  layout: HighwayLayout = 'rows',
): { dPre: Float64Array; ds: Float64Array } {
  const dPre = new Float64Array(2 * shape.B * shape.H);
  const ds = new Float64Array(shape.B * shape.H);
  const row = UNARY_OPS[f];
  for (let k = 0; k < ds.length; k++) {
    const [hi, ti] = preIndices(k, shape, layout);
    const h = pre[hi] as number;
    const c = sigmoid(pre[ti] as number);
    const fh = row.cpu(h);
    const prev = sPrev[k] as number;
    const g = dOut[k] as number;
    dPre[hi] = row.cpuGrad(h, fh, g * c);
    dPre[ti] = g * (fh - prev) * c * (1 - c);
    ds[k] = g * (1 - c);
  }
  return { dPre, ds };
}
