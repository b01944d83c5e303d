/** Float64 reference of the fused LSTM step: pre = [x, h_prev]·W, then the cell (lstm-cell.reference.ts). */
import { lstmCellRef } from './lstm-cell.reference.js';
import type { LstmStepShape } from './lstm-step.js';

export function lstmStepRef(
  x: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  w: ArrayLike<number>,
  cPrev: ArrayLike<number>,
  s: LstmStepShape,
): { pre: Float64Array; c: Float64Array; h: Float64Array } {
  const N = 4 * s.H;
  const pre = new Float64Array(s.B * N);
  for (let b = 0; b < s.B; b++) {
    for (let col = 0; col < N; col++) {
      let acc = 0;
      for (let r = 0; r < s.Kx; r++) acc += (x[b * s.Kx + r] as number) * (w[r * N + col] as number);
      for (let r = 0; r < s.H; r++) acc += (hPrev[b * s.H + r] as number) * (w[(s.Kx + r) * N + col] as number);
      pre[b * N + col] = acc;
    }
  }
  return { pre, ...lstmCellRef(pre, cPrev, s) };
}
