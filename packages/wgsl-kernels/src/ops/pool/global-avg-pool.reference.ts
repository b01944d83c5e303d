/** Float64 reference of global average pooling [N, C, H, W] → [N, C] and its gradient. */
import type { GlobalAvgPoolShape } from './global-avg-pool.js';

export function globalAvgPoolRef(x: ArrayLike<number>, shape: GlobalAvgPoolShape): Float64Array {
  const area = shape.H * shape.W;
  const y = new Float64Array(shape.N * shape.C);
  for (let p = 0; p < y.length; p++) {
    let s = 0;
    for (let i = 0; i < area; i++) s += x[p * area + i] as number;
    y[p] = s / area;
  }
  return y;
}

export function globalAvgPoolBackwardRef(dy: ArrayLike<number>, shape: GlobalAvgPoolShape): Float64Array {
  const area = shape.H * shape.W;
  return Float64Array.from({ length: shape.N * shape.C * area }, (_, i) => (dy[Math.floor(i / area)] as number) / area);
}
