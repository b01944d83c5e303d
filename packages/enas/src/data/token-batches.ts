/**
 * Language-model batches as in google-research `enas_lm/src/data_utils.py` `input_producer` (the usual PTB reader):
 * the token stream is cut into `batchSize` contiguous rows, `data = ids[0 : batchSize·L].reshape(batchSize, L)`
 * with L = ⌊n / batchSize⌋ (the tail is dropped), and a BPTT window at column s is `x = data[:, s : s+T]`,
 * `y = data[:, s+1 : s+T+1]`. Each row continues across windows, so the recurrent state carries over.
 */

export interface TokenMatrix {
  /** [batchSize, batchLength] row-major; row b is tokens [b·L, (b+1)·L) of the stream. */
  readonly data: Int32Array;
  readonly batchSize: number;
  readonly batchLength: number;
}

export interface BpttWindow {
  /** [batchSize, steps] inputs and next-token targets, row-major. */
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly steps: number;
}

export function batchifyTokens(ids: Int32Array, batchSize: number): TokenMatrix {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchifyTokens: batch size ${batchSize} must be a positive integer`);
  const batchLength = Math.floor(ids.length / batchSize);
  if (batchLength < 2) {
    throw new RangeError(
      `batchifyTokens: ${ids.length} tokens give rows of ${batchLength} for batch size ${batchSize}; a row needs at least 2 tokens (an input and its target)`,
    );
  }
  return { data: ids.slice(0, batchSize * batchLength), batchSize, batchLength };
}

/** Windows of `steps` tokens per epoch, ⌊(L − 1) / steps⌋, as the reference's `epoch_size`. */
export function bpttWindowCount(matrix: TokenMatrix, steps: number): number {
  return Math.floor((matrix.batchLength - 1) / steps);
}

/**
 * The window starting at column `start`, `steps` long, shortened at the end of the rows (the reference caps the
 * random BPTT length at `batch_len − start − 1` the same way).
 */
export function bpttWindow(matrix: TokenMatrix, start: number, steps: number): BpttWindow {
  const { batchSize, batchLength, data } = matrix;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`bpttWindow: steps ${steps} must be a positive integer`);
  if (!Number.isInteger(start) || start < 0 || start >= batchLength - 1) {
    throw new RangeError(`bpttWindow: start ${start} must be an integer in 0..${batchLength - 2} (rows hold ${batchLength} tokens)`);
  }
  const T = Math.min(steps, batchLength - 1 - start);
  const x = new Int32Array(batchSize * T);
  const y = new Int32Array(batchSize * T);
  for (let b = 0; b < batchSize; b++) {
    x.set(data.subarray(b * batchLength + start, b * batchLength + start + T), b * T);
    y.set(data.subarray(b * batchLength + start + 1, b * batchLength + start + 1 + T), b * T);
  }
  return { x, y, steps: T };
}
