/**
 * Reference of the CIFAR augmentation, written as the official code's steps on one image (pad, crop, flip,
 * cutout mask), with the random draws from the RNG's CPU twin.
 */
import { rngWordsCpu, wordBelow } from '../random/rng-state.js';
import { AUGMENT_WORDS_PER_IMAGE, type AugmentShape, type CifarAugmentOptions } from './cifar-augment.js';

export interface AugmentDraw {
  readonly oy: number;
  readonly ox: number;
  readonly flip: boolean;
  /** The cutout anchor: top-left corner ('corner') or centre ('centre'). */
  readonly cutoutRow: number;
  readonly cutoutCol: number;
}

/** The per-image random parameters the kernel draws. */
export function augmentDrawsRef(state: ArrayLike<number>, s: AugmentShape, options: CifarAugmentOptions): AugmentDraw[] {
  const pad = options.pad ?? 4;
  const words = rngWordsCpu(state, options.stream, s.N * AUGMENT_WORDS_PER_IMAGE);
  return Array.from({ length: s.N }, (_, n) => {
    const w = (k: number) => words[n * AUGMENT_WORDS_PER_IMAGE + k] as number;
    return {
      oy: wordBelow(w(0), 2 * pad + 1),
      ox: wordBelow(w(1), 2 * pad + 1),
      flip: (options.flip ?? true) && w(2) >>> 31 === 1,
      cutoutRow: wordBelow(w(3), s.H),
      cutoutCol: wordBelow(w(4), s.W),
    };
  });
}

export function cifarAugmentRef(
  x: ArrayLike<number>,
  state: ArrayLike<number>,
  s: AugmentShape,
  options: CifarAugmentOptions,
): Float64Array {
  const pad = options.pad ?? 4;
  const size = options.cutoutSize ?? 0;
  const shift = options.cutoutPlacement === 'centre' ? Math.floor(size / 2) : 0;
  const y = new Float64Array(s.N * s.C * s.H * s.W);
  const draws = augmentDrawsRef(state, s, options);
  const Hp = s.H + 2 * pad;
  const Wp = s.W + 2 * pad;
  draws.forEach((d, n) => {
    for (let c = 0; c < s.C; c++) {
      const base = (n * s.C + c) * s.H * s.W;
      // tf.pad with zeros, then tf.random_crop at (oy, ox).
      const padded = new Float64Array(Hp * Wp);
      for (let i = 0; i < s.H; i++) for (let j = 0; j < s.W; j++) padded[(i + pad) * Wp + j + pad] = x[base + i * s.W + j] as number;
      for (let i = 0; i < s.H; i++) {
        for (let j = 0; j < s.W; j++) {
          const cropped = (jj: number) => padded[(i + d.oy) * Wp + jj + d.ox] as number;
          // random_flip_left_right, then the cutout mask.
          let v = cropped(d.flip ? s.W - 1 - j : j);
          const r0 = d.cutoutRow - shift;
          const c0 = d.cutoutCol - shift;
          if (size > 0 && i >= r0 && i < r0 + size && j >= c0 && j < c0 + size) v = 0;
          y[base + i * s.W + j] = v;
        }
      }
    }
  });
  return y;
}
