/** Float64 references of the whole-tensor reductions, the global norm and the accuracy count. */

export function sumRef(x: ArrayLike<number>, n = x.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] as number;
  return s;
}

/** sqrt(Σ over all tensors of Σ x²), as tf.global_norm. */
export function globalNormRef(tensors: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) s += (t[i] as number) ** 2;
  return Math.sqrt(s);
}

/** The number of rows whose argmax (lowest index among equal maxima) equals the label. */
export function accuracyCountRef(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if ((logits[r * classes + k] as number) > (logits[r * classes + best] as number)) best = k;
    if (best === labels[r]) correct++;
  }
  return correct;
}
