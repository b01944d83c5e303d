/**
 * The recurrent-cell search loop (enas_lm `search.py`; reference notes a.1, a.4), as an object a CLI drives:
 *
 *   child phase       one new cell per training window, sampled by the controller; windows of random length
 *                     until the pass over the training data ends (`trainChildEpoch`, or `trainWindow` one by one)
 *   controller phase  250 samples (25 Adam updates × 10 aggregated): each cell scored on the next validation
 *                     batch, reward 80 / ppl (`trainController`)
 *   validation        perplexity of freshly sampled cells on the validation batches (`validate`)
 *   derive            best of N sampled cells on one validation batch (`derive`)
 *
 * Validation batches are 35 steps of `validBatchSize` rows, each started from a zero state and run without
 * dropout, as the reference evaluates them (its `eval_valid` resets the state before every batch, and its graph
 * samples a new cell for every batch). Every phase but the child's records each cell's work and the sampling of
 * the next cell in one step, so a sample costs one step and one small read-back.
 *
 * State for checkpoints: `stateTensors()` (every weight, the controller's Adam moments, the baseline, the carried
 * training state) and `counters()`; restore both with `restore`. The engine's GPU random state is part of the
 * counters. Checkpoint between calls; a restored search starts with an empty sample queue.
 */
import type { Engine, Tensor } from '@enas-webgpu/autograd';
import { Rng } from '@enas-webgpu/wgsl-kernels';
import type { RnnArchitecture } from '../arch/rnn.js';
import { type BpttWindow, batchifyTokens, bpttWindow, bpttWindowCount, type TokenMatrix } from '../data/token-batches.js';
import { deriveRnnCell, type RnnDeriveResult } from './derive.js';
import { RnnLanguageModel } from './language-model.js';
import { freshParameterGroup, type NamedValues, writeNamedTensors } from './model-state.js';
import { RnnReinforce, type RnnRewardLog } from './reinforce.js';
import { RnnController } from './rnn-controller.js';
import { SampledCells } from './sampled-cells.js';
import { type RnnSearchConfig, type RnnSearchOptions, resolveRnnSearchConfig } from './search-config.js';
import { RnnLmTrainer } from './trainer.js';

export interface RnnSearchWindow {
  readonly architecture: RnnArchitecture;
  /** Mean cross-entropy of the window, once the GPU has run it. */
  readonly loss: Promise<number>;
  readonly steps: number;
  readonly learningRate: number;
  readonly epochEnd: boolean;
}

export interface RnnChildEpochReport {
  readonly windows: number;
  /** exp(mean window loss): the reference's logged training perplexity (dropouts on). */
  readonly trainPerplexity: number;
}

export interface RnnControllerPhaseReport {
  readonly samples: readonly RnnRewardLog[];
  readonly meanReward: number;
  /** Geometric mean of the sampled cells' validation-batch perplexities. */
  readonly meanPerplexity: number;
  readonly baseline: number;
}

export interface RnnSearchEpochReport extends RnnChildEpochReport {
  readonly epoch: number;
  readonly controller: RnnControllerPhaseReport;
  readonly validPerplexity: number;
}

/** Everything of a search that is not a tensor. */
export interface RnnSearchCounters {
  readonly epoch: number;
  readonly childWindows: number;
  /** Column where the next training window starts. */
  readonly trainStart: number;
  /** Index of the next validation batch the controller is rewarded on. */
  readonly rewardBatch: number;
  readonly controllerSamples: number;
  readonly controllerUpdates: number;
  /** CPU generator of the BPTT lengths. */
  readonly bpttRng: number;
  /** The engine's GPU random state. */
  readonly random: { readonly seed: number; readonly steps: number };
}

/** How many losses a child phase keeps in flight before summing them. */
const LOSSES_IN_FLIGHT = 8;

export class RnnSearch {
  readonly config: RnnSearchConfig;
  readonly lm: RnnLanguageModel;
  readonly controller: RnnController;
  readonly trainer: RnnLmTrainer;
  readonly reinforce: RnnReinforce;
  readonly cells: SampledCells;
  private readonly valid: TokenMatrix;
  private readonly bpttRng: Rng;
  epoch = 0;
  private rewardBatch = 0;

  constructor(
    readonly engine: Engine,
    data: { readonly train: Int32Array; readonly valid: Int32Array },
    options: RnnSearchOptions = {},
  ) {
    const c = resolveRnnSearchConfig(options);
    this.config = c;
    const init = new Rng(c.seed);
    this.bpttRng = new Rng(c.seed ^ 0x9e3779b9);
    this.lm = new RnnLanguageModel(engine, c.model, 'shared', init, `${c.name}.child`);
    this.controller = new RnnController(engine, freshParameterGroup(engine, `${c.name}.controller`), init, c.controller);
    this.trainer = new RnnLmTrainer(this.lm, data.train, c.training, this.bpttRng);
    this.reinforce = new RnnReinforce(this.controller, c.reinforce);
    this.cells = new SampledCells(this.controller);
    this.valid = batchifyTokens(data.valid, c.validBatchSize);
    if (this.validBatchCount < 1) {
      throw new Error(
        `RnnSearch: the validation text gives rows of ${this.valid.batchLength} tokens at batch ${c.validBatchSize}; ` +
          `a validation batch needs ${c.validSteps + 1}: use a smaller validBatchSize or validSteps`,
      );
    }
  }

  /** Validation batches in one pass over the validation text. */
  get validBatchCount(): number {
    return bpttWindowCount(this.valid, this.config.validSteps);
  }

  /** Validation batch i (cyclic). */
  validBatch(i: number): BpttWindow {
    const n = this.validBatchCount;
    return bpttWindow(this.valid, (((i % n) + n) % n) * this.config.validSteps, this.config.validSteps);
  }

  /** Trains the shared weights on one window with a freshly sampled cell. */
  async trainWindow(): Promise<RnnSearchWindow> {
    this.cells.fill(this.config.lookahead);
    const architecture = await this.cells.next();
    const r = this.trainer.trainWindow(architecture, (step) => this.cells.record(step));
    if (r.epochEnd) this.cells.discard();
    return { architecture, loss: r.loss, steps: r.steps, learningRate: r.learningRate, epochEnd: r.epochEnd };
  }

  /** Windows until the pass over the training data ends. */
  async trainChildEpoch(onWindow?: (w: RnnSearchWindow, index: number) => void): Promise<RnnChildEpochReport> {
    let pending: Promise<number>[] = [];
    let sum = 0;
    let windows = 0;
    for (;;) {
      const w = await this.trainWindow();
      onWindow?.(w, windows);
      windows += 1;
      pending.push(w.loss);
      if (pending.length >= LOSSES_IN_FLIGHT || w.epochEnd) {
        for (const l of await Promise.all(pending)) sum += l;
        pending = [];
      }
      if (w.epochEnd) break;
    }
    return { windows, trainPerplexity: Math.exp(sum / windows) };
  }

  /** The controller phase: `samples` cells (default 250), each rewarded on the next validation batch. */
  async trainController(
    samples = this.reinforce.samplesPerPhase,
    onSample?: (r: RnnRewardLog, index: number) => void,
  ): Promise<RnnControllerPhaseReport> {
    const aggregate = this.config.reinforce.aggregate;
    if (!Number.isInteger(samples) || samples < 1 || samples % aggregate !== 0) {
      // A partial aggregate would leave gradients of this policy to be applied after the next child phase.
      throw new Error(
        `RnnSearch.trainController: samples = ${samples}; it must be a positive multiple of reinforce.aggregate (${aggregate})`,
      );
    }
    const zero = this.lm.state('zero', this.config.validBatchSize);
    const logs = await this.cells.map(samples, (step, arch, i) => {
      const loss = this.engine.noGrad(() => this.lm.forward(this.validBatch(this.rewardBatch++), zero, arch, false).loss);
      return this.reinforce.record(step, loss).then((r) => {
        onSample?.(r, i);
        return r;
      });
    });
    const mean = (f: (r: RnnRewardLog) => number) => logs.reduce((s, r) => s + f(r), 0) / logs.length;
    return {
      samples: logs,
      meanReward: mean((r) => r.reward),
      meanPerplexity: Math.exp(mean((r) => Math.log(r.perplexity))),
      baseline: (logs[logs.length - 1] as RnnRewardLog).baseline,
    };
  }

  /** Validation perplexity: exp(mean loss) over the validation batches, each with a freshly sampled cell. */
  async validate(batches = this.config.validBatches ?? this.validBatchCount): Promise<number> {
    const zero = this.lm.state('zero', this.config.validBatchSize);
    const losses = await this.cells.map(batches, (step, arch, i) => {
      const loss = this.engine.noGrad(() => this.lm.forward(this.validBatch(i), zero, arch, false).loss);
      return step.read(loss).then((v) => v[0] as number);
    });
    return Math.exp(losses.reduce((a, b) => a + b, 0) / losses.length);
  }

  /** One epoch of the reference: child phase, controller phase, validation. */
  async runEpoch(
    hooks: { onWindow?: (w: RnnSearchWindow, index: number) => void; onSample?: (r: RnnRewardLog, index: number) => void } = {},
  ): Promise<RnnSearchEpochReport> {
    const child = await this.trainChildEpoch(hooks.onWindow);
    const controller = await this.trainController(undefined, hooks.onSample);
    const validPerplexity = await this.validate();
    this.epoch += 1;
    return { epoch: this.epoch, ...child, controller, validPerplexity };
  }

  /** The best of `samples` sampled cells (default 100) on the first validation batch. */
  derive(samples = 100): Promise<RnnDeriveResult> {
    return deriveRnnCell(this.lm, this.cells, this.validBatch(0), samples);
  }

  /** Every tensor a checkpoint needs, by name. */
  stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, t] of this.lm.namedParameters()) out.set(`child.${name}`, t);
    out.set('child.state', this.trainer.state);
    for (const [name, t] of this.controller.namedParameters()) out.set(`controller.${name}`, t);
    for (const [name, t] of this.reinforce.optimizer.momentTensors()) out.set(`controller.${name}`, t);
    out.set('controller.baseline', this.reinforce.baseline);
    return out;
  }

  counters(): RnnSearchCounters {
    return {
      epoch: this.epoch,
      childWindows: this.trainer.windows,
      trainStart: this.trainer.cursor.start,
      rewardBatch: this.rewardBatch,
      controllerSamples: this.reinforce.samples,
      controllerUpdates: this.reinforce.optimizer.t,
      bpttRng: this.bpttRng.snapshot,
      random: this.engine.randomState,
    };
  }

  /** Restores a checkpoint taken with `stateTensors` (values read back) and `counters` (between steps). */
  restore(values: ReadonlyMap<string, NamedValues>, counters: RnnSearchCounters): void {
    writeNamedTensors(this.engine, this.stateTensors(), values);
    this.epoch = counters.epoch;
    this.trainer.windows = counters.childWindows;
    this.trainer.cursor.start = counters.trainStart;
    this.rewardBatch = counters.rewardBatch;
    this.reinforce.samples = counters.controllerSamples;
    this.reinforce.optimizer.t = counters.controllerUpdates;
    this.bpttRng.restore(counters.bpttRng);
    this.engine.restoreRandomState(counters.random);
    this.cells.discard();
  }
}
