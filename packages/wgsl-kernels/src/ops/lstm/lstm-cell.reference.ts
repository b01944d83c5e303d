/** Float64 reference of the fused LSTM cell (gate blocks i | f | o | g, no bias), forward and backward. */
import type { LstmCellShape } from './lstm-cell.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmCellRef(pre: ArrayLike<number>, cPrev: ArrayLike<number>, s: LstmCellShape): { c: Float64Array; h: Float64Array } {
  const c = new Float64Array(s.B * s.H);
  const h = new Float64Array(s.B * s.H);
  for (let b = 0; b < s.B; b++) {
    for (let j = 0; j < s.H; j++) {
      const row = b * 4 * s.H + j;
      const i = sigmoid(pre[row] as number);
      const f = sigmoid(pre[row + s.H] as number);
      const o = sigmoid(pre[row + 2 * s.H] as number);
      const g = Math.tanh(pre[row + 3 * s.H] as number);
      const k = b * s.H + j;
      c[k] = f * (cPrev[k] as number) + i * g;
      h[k] = o * Math.tanh(c[k] as number);
    }
  }
  return { c, h };
}

/** Gradients of Σ dh⊙h + Σ dc⊙c with respect to the pre-activations and c_prev (dc omitted = 0). */
export function lstmCellBackwardRef(
  pre: ArrayLike<number>,
  cPrev: ArrayLike<number>,
  dh: ArrayLike<number>,
  dc: ArrayLike<number> | undefined,
  s: LstmCellShape,
): { dPre: Float64Array; dcPrev: Float64Array } {
  const dPre = new Float64Array(4 * s.B * s.H);
  const dcPrev = new Float64Array(s.B * s.H);
  for (let b = 0; b < s.B; b++) {
    for (let j = 0; j < s.H; j++) {
      const row = b * 4 * s.H + j;
      const k = b * s.H + j;
      const i = sigmoid(pre[row] as number);
      const f = sigmoid(pre[row + s.H] as number);
      const o = sigmoid(pre[row + 2 * s.H] as number);
      const g = Math.tanh(pre[row + 3 * s.H] as number);
      const c = f * (cPrev[k] as number) + i * g;
      const tc = Math.tanh(c);
      const dcTotal = (dc ? (dc[k] as number) : 0) + (dh[k] as number) * o * (1 - tc * tc);
      dPre[row] = dcTotal * g * i * (1 - i);
      dPre[row + s.H] = dcTotal * (cPrev[k] as number) * f * (1 - f);
      dPre[row + 2 * s.H] = (dh[k] as number) * tc * o * (1 - o);
      dPre[row + 3 * s.H] = dcTotal * i * (1 - g * g);
      dcPrev[k] = dcTotal * f;
    }
  }
  return { dPre, dcPrev };
}
