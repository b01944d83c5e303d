/** Float64 references of the embedding lookup and its scatter-add gradient. */
import type { EmbeddingShape } from './embedding.js';

/** y [T, D] = table[ids]; NaN rows for ids ≥ V, as the kernel writes. */
export function embeddingGatherRef(table: ArrayLike<number>, ids: ArrayLike<number>, s: EmbeddingShape): Float64Array {
  const y = new Float64Array(s.T * s.D);
  for (let t = 0; t < s.T; t++) {
    const v = ids[t] as number;
    for (let d = 0; d < s.D; d++) y[t * s.D + d] = v < s.V ? (table[v * s.D + d] as number) : Number.NaN;
  }
  return y;
}

/** dTable [V, D] = Σ over t with ids[t] = v of dy[t, :]; ids ≥ V are ignored. */
export function embeddingBackwardRef(ids: ArrayLike<number>, dy: ArrayLike<number>, s: EmbeddingShape): Float64Array {
  const dTable = new Float64Array(s.V * s.D);
  for (let t = 0; t < s.T; t++) {
    const v = ids[t] as number;
    if (v >= s.V) continue;
    for (let d = 0; d < s.D; d++) dTable[v * s.D + d] = (dTable[v * s.D + d] as number) + (dy[t * s.D + d] as number);
  }
  return dTable;
}
