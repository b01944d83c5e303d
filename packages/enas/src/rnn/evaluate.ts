/**
 * Perplexity of a language model on a whole text, every token predicted from everything before it.
 *
 * The text is cut into `batchSize` contiguous rows (1 by default: the reference's test protocol,
 * `fixed_lib.py` `input_producer(x_test, 1, 1)`) and read in windows of `steps` tokens with the state carried
 * across windows and no dropout, so the result does not depend on the window length, only on the row split. Every
 * window's loss counts by its number of predictions: perplexity = exp(Σ token losses / number of tokens). There is
 * no per-window clipping of the loss (the older `src/ptb` code clipped it, which made its early perplexities look
 * better than they were; reference notes a.1).
 */
import type { RnnArchitecture } from '../arch/rnn.js';
import { batchifyTokens, bpttWindow } from '../data/token-batches.js';
import type { RnnLanguageModel } from './language-model.js';

export interface RnnEvaluationOptions {
  /** Rows (independent streams); 1 reads the text as one sequence. */
  readonly batchSize?: number;
  /** Tokens per window (a step); any length gives the same result. */
  readonly steps?: number;
  /** Called after each window is recorded, with windows done and total (for progress bars). */
  readonly onWindow?: (done: number, total: number) => void;
}

export interface RnnEvaluation {
  /** Mean cross-entropy per predicted token (nats). */
  readonly loss: number;
  readonly perplexity: number;
  /** Tokens predicted: batchSize · (row length − 1). */
  readonly tokens: number;
}

/** Reads back at most this many window losses at a time, so staging buffers stay few however long the text. */
const IN_FLIGHT = 16;

export async function evaluateRnnLm(
  lm: RnnLanguageModel,
  tokens: Int32Array,
  arch: RnnArchitecture,
  options: RnnEvaluationOptions = {},
): Promise<RnnEvaluation> {
  const B = options.batchSize ?? 1;
  const T = options.steps ?? 35;
  if (!Number.isInteger(T) || T < 1) throw new Error(`evaluateRnnLm: steps = ${T}; it must be a positive integer`);
  const matrix = batchifyTokens(tokens, B);
  const engine = lm.engine;
  const state = lm.state('eval', B);
  lm.resetState(state);
  const total = Math.ceil((matrix.batchLength - 1) / T);
  let pending: Promise<number>[] = [];
  let lossSum = 0;
  let count = 0;
  for (let w = 0; w < total; w++) {
    const window = bpttWindow(matrix, w * T, T);
    const step = engine.beginStep('rnn.eval');
    try {
      const f = engine.noGrad(() => lm.forward(window, state, arch, false));
      lm.carryState(f.finalState, state);
      const n = window.x.length;
      pending.push(step.read(f.loss).then((v) => (v[0] as number) * n));
      count += n;
      step.submit();
    } catch (error) {
      engine.abortStep();
      throw error;
    }
    options.onWindow?.(w + 1, total);
    if (pending.length >= IN_FLIGHT) {
      for (const l of await Promise.all(pending)) lossSum += l;
      pending = [];
    }
  }
  for (const l of await Promise.all(pending)) lossSum += l;
  const loss = lossSum / count;
  return { loss, perplexity: Math.exp(loss), tokens: count };
}
