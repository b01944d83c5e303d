/**
 * Truncated BPTT with random window lengths, as enas_lm `data_utils.py` `input_producer(random_len=True)`
 * (from AWD-LSTM): each window draws
 *
 *   base    = bptt with probability 0.95, else bptt / 2
 *   length  = int(truncated_normal(base, std 5))     (re-drawn beyond 2 std; int() truncates toward zero)
 *   length  = min(length, bptt + 20, L − start − 1)  (L = row length of the token matrix)
 *
 * and windows follow each other without overlap (`start ← start + length`). The pass over the training data ends
 * when a window reaches column L − 3 (`should_reset`), then the start returns to 0. The learning rate of a window
 * is scaled by length / bptt (`child.py` `lr_scale`), so short windows take proportionally short steps.
 */
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { type BpttWindow, bpttWindow, type TokenMatrix } from '../data/token-batches.js';

export interface BpttLengthOptions {
  /** Nominal length (35). */
  readonly bpttSteps: number;
  /** Standard deviation of the draw (5). */
  readonly bpttStd: number;
}

/** One draw of the random window length, before the end-of-data cap (at least 1). */
export function sampleBpttLength(rng: Rng, o: BpttLengthOptions): number {
  const base = rng.next() < 0.95 ? o.bpttSteps : o.bpttSteps / 2;
  let z: number;
  do z = rng.normal();
  while (Math.abs(z) > 2);
  return Math.max(1, Math.min(Math.trunc(base + o.bpttStd * z), o.bpttSteps + 20));
}

export interface BpttDraw {
  readonly window: BpttWindow;
  /** First column of the window. */
  readonly start: number;
  /** Window length / nominal length: the learning-rate scale. */
  readonly lrScale: number;
  /** This window ends the pass over the data (`should_reset`); the next one starts at column 0. */
  readonly epochEnd: boolean;
}

/** Walks a token matrix in random-length windows; its whole state is `start` (and the Rng, owned by the caller). */
export class BpttCursor {
  start = 0;

  constructor(
    readonly matrix: TokenMatrix,
    readonly options: BpttLengthOptions,
    private readonly rng: Rng,
  ) {
    if (matrix.batchLength < 2) throw new Error(`BpttCursor: rows of ${matrix.batchLength} tokens cannot give a window (need >= 2)`);
  }

  next(): BpttDraw {
    const L = this.matrix.batchLength;
    const start = this.start;
    const length = Math.min(sampleBpttLength(this.rng, this.options), L - start - 1);
    const window = bpttWindow(this.matrix, start, length);
    const end = start + window.steps;
    const epochEnd = end >= L - 3;
    this.start = epochEnd ? 0 : end;
    return { window, start, lrScale: window.steps / this.options.bpttSteps, epochEnd };
  }
}
