/**
 * The run-directory formats shared by the CLI (which writes them) and the viewer (which replays them):
 * `config.json` (the fully resolved configuration) and `log.jsonl` (one JSON record per line).
 * Records are append-only facts about a run; readers skip record types they do not know.
 */

export const RUN_FORMAT_VERSION = 1;

export interface RunConfig {
  format: typeof RUN_FORMAT_VERSION;
  /** What produced the run. */
  command: 'search' | 'train';
  space: 'micro' | 'macro' | 'rnn';
  preset: string;
  dataset: { name: string; directory?: string; train: number; valid: number; test: number; classes: readonly string[] };
  seed: number;
  /** Every option the run used, after presets and overrides (a run is reproducible from it). */
  options: Record<string, unknown>;
  createdAt: string;
  adapter: string;
  /** The architecture a `train` run trains. */
  arc?: string;
}

/**
 * One child training step: of the shared weights (search), or of a fixed architecture trained from scratch
 * (`enas train`, whose steps also carry the aux head's loss and the drop-path keep probability of the last cell).
 */
export interface ChildLogRecord {
  type: 'child';
  time: number;
  epoch: number;
  step: number;
  arc: string;
  lr: number;
  loss: number;
  accuracy: number;
  auxLoss?: number;
  dropPathKeep?: number;
}

/** One controller update (REINFORCE over `arcs.length` sampled architectures). */
export interface ControllerLogRecord {
  type: 'controller';
  time: number;
  epoch: number;
  step: number;
  reward: number;
  accuracy: number;
  entropy: number;
  baseline: number;
  arcs: string[];
}

/** The summary of one epoch. */
export interface EpochLogRecord {
  type: 'epoch';
  time: number;
  epoch: number;
  childLoss: number;
  childAccuracy: number;
  reward: number | null;
  entropy: number | null;
  baseline: number | null;
  lr: number;
  imagesPerSecond: number;
  seconds: number;
  /** Validation accuracy of the evaluated architectures, when measured. */
  validAccuracy?: number | null;
  testAccuracy?: number | null;
}

/** Architectures printed with their single-batch validation accuracy (derive, or the end of an epoch). */
export interface DeriveLogRecord {
  type: 'derive';
  time: number;
  epoch: number;
  samples: { arc: string; accuracy: number }[];
  best: { arc: string; accuracy: number };
}

/** Accuracy of a trained network on a whole split, in inference mode (`enas train` each epoch, `enas eval`). */
export interface EvalLogRecord {
  type: 'eval';
  time: number;
  epoch: number;
  split: 'train' | 'valid' | 'test';
  correct: number;
  count: number;
  accuracy: number;
}

/** A checkpoint was written. */
export interface CheckpointLogRecord {
  type: 'checkpoint';
  time: number;
  epoch: number;
  step: number;
  path: string;
}

/** One training window of a recurrent-cell search (its sampled cell, mean loss, length, learning rate). */
export interface RnnWindowLogRecord {
  type: 'rnn-window';
  time: number;
  epoch: number;
  step: number;
  arc: string;
  loss: number;
  steps: number;
  lr: number;
}

/** The derived cell of a recurrent-cell search: the best of `samples` on one validation batch. */
export interface RnnDeriveLogRecord {
  type: 'rnn-derive';
  time: number;
  epoch: number;
  samples: number;
  best: { arc: string; perplexity: number };
}

/** The summary of one epoch of a recurrent-cell search. */
export interface RnnEpochLogRecord {
  type: 'rnn-epoch';
  time: number;
  epoch: number;
  windows: number;
  trainPerplexity: number;
  validPerplexity: number;
  /** The controller phase: mean reward (c / ppl), geometric-mean perplexity of the sampled cells, baseline. */
  reward: number;
  sampledPerplexity: number;
  baseline: number;
  seconds: number;
}

/** One epoch of training a fixed recurrent cell from scratch (`enas train --space rnn`). */
export interface RnnTrainEpochLogRecord {
  type: 'rnn-train-epoch';
  time: number;
  epoch: number;
  windows: number;
  /** exp(mean window loss), dropouts on. */
  trainPerplexity: number;
  /** Full-sequence validation perplexity, state carried across batches. */
  validPerplexity: number;
  seconds: number;
}

/** Perplexity of a trained recurrent cell: on the test text read as one sequence, or on the validation text. */
export interface RnnTestLogRecord {
  type: 'rnn-test';
  time: number;
  epoch: number;
  split: 'test' | 'valid';
  perplexity: number;
  tokens: number;
}

export type LogRecord =
  | ChildLogRecord
  | ControllerLogRecord
  | EpochLogRecord
  | DeriveLogRecord
  | EvalLogRecord
  | CheckpointLogRecord
  | RnnWindowLogRecord
  | RnnEpochLogRecord
  | RnnDeriveLogRecord
  | RnnTrainEpochLogRecord
  | RnnTestLogRecord;

/** Parses log.jsonl text; a line that is not JSON is an error naming the line (a truncated last line is skipped). */
export function parseLog(text: string, fileName = 'log.jsonl'): LogRecord[] {
  const lines = text.split('\n');
  const out: LogRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const record = JSON.parse(line) as LogRecord;
      if (record && typeof record === 'object' && typeof record.type === 'string') out.push(record);
    } catch {
      // A crash can leave the last line half-written; anything earlier is corruption.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new Error(`${fileName}: line ${i + 1} is not valid JSON`);
      }
    }
  });
  return out;
}

export function parseRunConfig(text: string, fileName = 'config.json'): RunConfig {
  let c: RunConfig;
  try {
    c = JSON.parse(text) as RunConfig;
  } catch (e) {
    throw new Error(`${fileName}: not valid JSON (${(e as Error).message})`);
  }
  if (c.format !== RUN_FORMAT_VERSION) throw new Error(`${fileName}: format ${c.format}, this version reads format ${RUN_FORMAT_VERSION}`);
  if (!['micro', 'macro', 'rnn'].includes(c.space)) throw new Error(`${fileName}: unknown space '${c.space}'`);
  return c;
}
