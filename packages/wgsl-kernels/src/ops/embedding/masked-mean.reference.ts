/** Float64 references of the masked mean of rows and its gradient. */
import type { MaskedMeanShape } from './masked-mean.js';

function inverseCount(mask: ArrayLike<number>, B: number, extra: number): number {
  let n = 0;
  for (let b = 0; b < B; b++) if (mask[b] !== 0) n += 1;
  return extra + n > 0 ? 1 / (extra + n) : 0;
}

/** y [D] = Σ_{b: mask[b] ≠ 0} rows[b, :] / (extra + n). */
export function maskedMeanRef(rows: ArrayLike<number>, mask: ArrayLike<number>, s: MaskedMeanShape, extra = 0): Float64Array {
  const y = new Float64Array(s.D);
  const inv = inverseCount(mask, s.B, extra);
  for (let b = 0; b < s.B; b++) {
    if (mask[b] === 0) continue;
    for (let d = 0; d < s.D; d++) y[d] = (y[d] as number) + (rows[b * s.D + d] as number);
  }
  return y.map((v) => v * inv);
}

/** dRows [B, D] = [mask[b] ≠ 0] · dy / (extra + n). */
export function maskedMeanBackwardRef(mask: ArrayLike<number>, dy: ArrayLike<number>, s: MaskedMeanShape, extra = 0): Float64Array {
  const dRows = new Float64Array(s.B * s.D);
  const inv = inverseCount(mask, s.B, extra);
  for (let b = 0; b < s.B; b++) {
    if (mask[b] === 0) continue;
    for (let d = 0; d < s.D; d++) dRows[b * s.D + d] = (dy[d] as number) * inv;
  }
  return dRows;
}
