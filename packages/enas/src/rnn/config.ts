/**
 * Hyper-parameters of the ENAS language model, with the values of the corrected official code (google-research
 * `enas_lm`; reference notes a.1): `child.py` `_set_default_params` for the search, `fixed_lib.py` (GPU) for the
 * final training of a fixed cell. Dropouts are DROP rates, as in the reference (keep = 1 − drop).
 */
import { DEFAULT_RNN_NODES } from '../arch/rnn.js';

/** Drop rates of the five dropouts of the reference model. */
export interface RnnDropouts {
  /** drop_e: whole rows of the embedding matrix (word dropout), resampled every window. */
  readonly embeddingRows: number;
  /** drop_i: the embedded words, one mask per (batch row, unit) shared over time (variational). */
  readonly embeddingOutput: number;
  /** drop_x: x[t] where it enters node 0, one [B, H] mask per window (`input_mask`). */
  readonly cellInput: number;
  /** drop_l: every state where it enters a node's matmul (h[t−1] into node 0, s_p into node j), one [B, H] mask per window. */
  readonly state: number;
  /** drop_o: the cell outputs before the softmax, variational. */
  readonly output: number;
}

export const NO_DROPOUT: RnnDropouts = { embeddingRows: 0, embeddingOutput: 0, cellInput: 0, state: 0, output: 0 };

/** Which nodes the cell output averages. */
export type RnnCellOutput =
  /** nodes 1..N (`child.py`, GPU `fixed_lib.py`: `tf.add_n(layers[1:]) / num_layers`) */
  | 'all'
  /** the searched nodes no other node reads (TPU `fixed_lib.py`, `child_average_loose_ends`) */
  | 'looseEnds';

/** The model: tied embedding (size = hidden size), the recurrent cell, dropouts. */
export interface RnnModelConfig {
  readonly vocabSize: number;
  /** Hidden size = embedding size (tied softmax): 200 search, 800 GPU final. */
  readonly hidden: number;
  /** Searched nodes N (node 0 is extra): 8 as the published cell, 12 in the paper, 9 the `enas_lm` flag default. */
  readonly nodes: number;
  readonly output: RnnCellOutput;
  /** Every weight starts U(−initRange, initRange): 0.04 search, 0.05 final. */
  readonly initRange: number;
  readonly dropout: RnnDropouts;
}

/** Training by truncated BPTT with plain SGD. */
export interface RnnTrainConfig {
  /** Rows of the token matrix (independent streams): 128 search, 64 final. */
  readonly batchSize: number;
  /** Nominal BPTT length (35); each window draws its own length around it (bptt.ts). */
  readonly bpttSteps: number;
  /** Standard deviation of the random BPTT length (5 in `data_utils.py`). */
  readonly bpttStd: number;
  /** SGD learning rate (20), scaled by (window length / bpttSteps) each window. */
  readonly learningRate: number;
  /** Global-norm gradient clipping: 0.1 search, 0.25 final. */
  readonly clipNorm: number;
  /** L2 coefficient: weightDecay · Σ w² over the weights the step used (see regularizers.ts). 8e-7. */
  readonly weightDecay: number;
  /** α · mean(s²) over the cell outputs (activation regularisation): 0 search, 0.7 GPU final. */
  readonly activationL2: number;
  /** β · mean((s[t] − s[t−1])²) over the cell outputs (slowness): 1 search, 0 final. */
  readonly slowness: number;
}

export const RNN_SEARCH_MODEL: RnnModelConfig = {
  vocabSize: 10000,
  hidden: 200,
  nodes: DEFAULT_RNN_NODES,
  output: 'all',
  initRange: 0.04,
  dropout: { embeddingRows: 0.1, embeddingOutput: 0.2, cellInput: 0.75, state: 0.25, output: 0.75 },
};

export const RNN_SEARCH_TRAINING: RnnTrainConfig = {
  batchSize: 128,
  bpttSteps: 35,
  bpttStd: 5,
  learningRate: 20,
  clipNorm: 0.1,
  weightDecay: 8e-7,
  activationL2: 0,
  slowness: 1,
};

/** GPU `fixed_lib.py` flags. */
export const RNN_FINAL_MODEL: RnnModelConfig = {
  vocabSize: 10000,
  hidden: 800,
  nodes: DEFAULT_RNN_NODES,
  output: 'all',
  initRange: 0.05,
  dropout: { embeddingRows: 0.125, embeddingOutput: 0.175, cellInput: 0.725, state: 0.225, output: 0.75 },
};

export const RNN_FINAL_TRAINING: RnnTrainConfig = {
  batchSize: 64,
  bpttSteps: 35,
  bpttStd: 5,
  learningRate: 20,
  clipNorm: 0.25,
  weightDecay: 8e-7,
  activationL2: 0.7,
  slowness: 0,
};

/** Checks a model configuration; every problem is reported with the field and the allowed range. */
export function checkRnnModelConfig(c: RnnModelConfig): void {
  for (const [name, v] of [
    ['vocabSize', c.vocabSize],
    ['hidden', c.hidden],
    ['nodes', c.nodes],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`RNN language model: ${name} = ${v}; it must be a positive integer`);
  }
  if (!(c.initRange > 0)) throw new Error(`RNN language model: initRange = ${c.initRange}; it must be > 0`);
  if (c.output !== 'all' && c.output !== 'looseEnds') throw new Error(`RNN language model: output = ${c.output}; use 'all' or 'looseEnds'`);
  for (const [name, rate] of Object.entries(c.dropout)) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`RNN language model: dropout.${name} = ${rate}; a drop rate must be in [0, 1)`);
  }
}

export function checkRnnTrainConfig(c: RnnTrainConfig): void {
  for (const [name, v] of [
    ['batchSize', c.batchSize],
    ['bpttSteps', c.bpttSteps],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`RNN training: ${name} = ${v}; it must be a positive integer`);
  }
  for (const [name, v] of [
    ['bpttStd', c.bpttStd],
    ['learningRate', c.learningRate],
    ['clipNorm', c.clipNorm],
    ['weightDecay', c.weightDecay],
    ['activationL2', c.activationL2],
    ['slowness', c.slowness],
  ] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`RNN training: ${name} = ${v}; it must be a finite number >= 0`);
  }
  if (c.clipNorm === 0) throw new Error('RNN training: clipNorm = 0 would zero every update; use a positive norm (0.1 search, 0.25 final)');
}
