/**
 * Float64 references of the random kernels, drawing their numbers from the CPU twin of the GPU stream
 * (rng-state.ts), so a reference makes exactly the GPU's keep/drop decisions.
 */
import type { DropoutView, DropPathShape, VariationalDropoutShape } from './dropout.js';
import { dropoutThreshold } from './dropout.js';
import { rngWordsCpu, unitFromWord } from './rng-state.js';

/** The dropout mask of `maskSize` entries: 1/keep where kept, 0 where dropped. */
export function dropoutMaskRef(state: ArrayLike<number>, stream: number, maskSize: number, keep: number): Float64Array {
  const threshold = dropoutThreshold('dropoutMaskRef', keep);
  const words = rngWordsCpu(state, stream, maskSize);
  return Float64Array.from(words, (w) => (w >>> 8 < threshold ? 1 / keep : 0));
}

/** y = x ⊙ mask over the [outer, maskSize, inner] view; also the backward (pass dy as x). */
export function dropoutBroadcastRef(
  x: ArrayLike<number>,
  state: ArrayLike<number>,
  stream: number,
  view: DropoutView,
  keep: number,
): Float64Array {
  const mask = dropoutMaskRef(state, stream, view.maskSize, keep);
  const y = new Float64Array(view.outer * view.maskSize * view.inner);
  for (let i = 0; i < y.length; i++) {
    const m = mask[Math.floor(i / view.inner) % view.maskSize] as number;
    y[i] = m === 0 ? 0 : (x[i] as number) * m;
  }
  return y;
}

export function dropoutRef(x: ArrayLike<number>, state: ArrayLike<number>, stream: number, keep: number): Float64Array {
  return dropoutBroadcastRef(x, state, stream, { outer: 1, maskSize: x.length, inner: 1 }, keep);
}

export function variationalDropoutRef(
  x: ArrayLike<number>,
  state: ArrayLike<number>,
  stream: number,
  s: VariationalDropoutShape,
  keep: number,
): Float64Array {
  return dropoutBroadcastRef(x, state, stream, { outer: s.T, maskSize: s.B * s.H, inner: 1 }, keep);
}

export function dropPathRef(x: ArrayLike<number>, state: ArrayLike<number>, stream: number, s: DropPathShape, keep: number): Float64Array {
  return dropoutBroadcastRef(x, state, stream, { outer: 1, maskSize: s.N, inner: s.C * s.H * s.W }, keep);
}

export function uniformFillRef(state: ArrayLike<number>, stream: number, n: number, lo = 0, hi = 1): Float64Array {
  return Float64Array.from(rngWordsCpu(state, stream, n), (w) => lo + (hi - lo) * unitFromWord(w));
}
