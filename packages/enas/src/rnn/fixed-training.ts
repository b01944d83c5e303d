/**
 * Training a fixed cell from scratch (enas_lm `fixed.py`, `fixed_lib.py`; reference notes a.1): the same model and
 * trainer as the search, with the cell's own weights and the final hyper-parameters (hidden 800, batch 64, clip
 * 0.25, L2 over every weight, activation regularisation 0.7, no slowness term). Validation carries the state across
 * batches of 64 × 35 (`eval_valid`), the test reads the text as one sequence (`input_producer(x_test, 1, 1)`); both
 * use evaluateRnnLm, full-sequence, with no per-batch clipping.
 *
 * Not implemented: the reference switches to averaged weights (ASGD-like) once the validation perplexity stops
 * improving for 10 epochs; a caller can stop training or lower the rate instead.
 */
import type { Engine, Tensor } from '@enas-webgpu/autograd';
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { type RnnArchitecture, validateRnnArchitecture } from '../arch/rnn.js';
import { RNN_FINAL_MODEL, RNN_FINAL_TRAINING, type RnnDropouts, type RnnModelConfig, type RnnTrainConfig } from './config.js';
import { evaluateRnnLm, type RnnEvaluation, type RnnEvaluationOptions } from './evaluate.js';
import { RnnLanguageModel } from './language-model.js';
import { type NamedValues, writeNamedTensors } from './model-state.js';
import { RnnLmTrainer } from './trainer.js';

export interface RnnFixedConfig {
  readonly model: RnnModelConfig;
  readonly training: RnnTrainConfig;
  /** Rows of the validation batches (64, as training). */
  readonly validBatchSize: number;
  readonly seed: number;
}

export const RNN_FIXED_DEFAULTS: RnnFixedConfig = {
  model: RNN_FINAL_MODEL,
  training: RNN_FINAL_TRAINING,
  validBatchSize: 64,
  seed: 1,
};

/** Any part of the configuration; model and training merge over the final defaults, model.nodes follows the cell. */
export interface RnnFixedOptions {
  readonly model?: Partial<Omit<RnnModelConfig, 'dropout'>> & { readonly dropout?: Partial<RnnDropouts> };
  readonly training?: Partial<RnnTrainConfig>;
  readonly validBatchSize?: number;
  readonly seed?: number;
  /** The parameter group (distinct per model in one engine). */
  readonly name?: string;
}

export interface RnnFixedEpochReport {
  readonly epoch: number;
  readonly windows: number;
  /** exp(mean window loss), dropouts on. */
  readonly trainPerplexity: number;
}

export interface RnnFixedCounters {
  readonly epoch: number;
  readonly windows: number;
  readonly trainStart: number;
  readonly bpttRng: number;
  readonly random: { readonly seed: number; readonly steps: number };
}

export class RnnFixedTraining {
  readonly config: RnnFixedConfig;
  readonly lm: RnnLanguageModel;
  readonly trainer: RnnLmTrainer;
  private readonly bpttRng: Rng;
  epoch = 0;

  constructor(
    readonly engine: Engine,
    readonly architecture: RnnArchitecture,
    trainTokens: Int32Array,
    options: RnnFixedOptions = {},
  ) {
    validateRnnArchitecture(architecture);
    const d = RNN_FIXED_DEFAULTS;
    const model = {
      ...d.model,
      ...options.model,
      dropout: { ...d.model.dropout, ...options.model?.dropout },
      nodes: architecture.nodes.length,
    };
    const c: RnnFixedConfig = {
      model,
      training: { ...d.training, ...options.training },
      validBatchSize: options.validBatchSize ?? d.validBatchSize,
      seed: options.seed ?? d.seed,
    };
    this.config = c;
    this.bpttRng = new Rng(c.seed ^ 0x9e3779b9);
    this.lm = new RnnLanguageModel(engine, c.model, architecture, new Rng(c.seed), options.name ?? 'rnn-fixed');
    this.trainer = new RnnLmTrainer(this.lm, trainTokens, c.training, this.bpttRng);
  }

  /** One pass over the training data; window losses are read back a few windows after they were recorded. */
  async trainEpoch(onWindow?: (loss: number, index: number) => void): Promise<RnnFixedEpochReport> {
    let pending: Promise<number>[] = [];
    let sum = 0;
    let windows = 0;
    for (;;) {
      const r = this.trainer.trainWindow(this.architecture);
      windows += 1;
      pending.push(r.loss);
      if (pending.length >= 8 || r.epochEnd) {
        const first = windows - pending.length;
        (await Promise.all(pending)).forEach((l, i) => {
          onWindow?.(l, first + i);
          sum += l;
        });
        pending = [];
      }
      if (r.epochEnd) break;
    }
    this.epoch += 1;
    return { epoch: this.epoch, windows, trainPerplexity: Math.exp(sum / windows) };
  }

  /** Full-sequence perplexity of `tokens` (defaults: one row, windows of 35). */
  evaluate(tokens: Int32Array, options: RnnEvaluationOptions = {}): Promise<RnnEvaluation> {
    return evaluateRnnLm(this.lm, tokens, this.architecture, options);
  }

  /** Validation as `fixed.py` measures it: batches of validBatchSize × 35, state carried. */
  validate(validTokens: Int32Array): Promise<RnnEvaluation> {
    return this.evaluate(validTokens, { batchSize: this.config.validBatchSize, steps: 35 });
  }

  /** Test perplexity as `fixed.py` measures it: the text as one sequence. */
  test(testTokens: Int32Array): Promise<RnnEvaluation> {
    return this.evaluate(testTokens, { batchSize: 1, steps: 35 });
  }

  stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>(this.lm.namedParameters());
    out.set('state', this.trainer.state);
    return out;
  }

  counters(): RnnFixedCounters {
    return {
      epoch: this.epoch,
      windows: this.trainer.windows,
      trainStart: this.trainer.cursor.start,
      bpttRng: this.bpttRng.snapshot,
      random: this.engine.randomState,
    };
  }

  restore(values: ReadonlyMap<string, NamedValues>, counters: RnnFixedCounters): void {
    writeNamedTensors(this.engine, this.stateTensors(), values);
    this.epoch = counters.epoch;
    this.trainer.windows = counters.windows;
    this.trainer.cursor.start = counters.trainStart;
    this.bpttRng.restore(counters.bpttRng);
    this.engine.restoreRandomState(counters.random);
  }
}
