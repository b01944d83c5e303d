/**
 * Training the language model by truncated BPTT (enas_lm `child.py` `_build_train`, `search.py` / `fixed.py` loop):
 * one engine step per window, which
 *
 *   zeroes the gradients, runs the window from the carried state with dropouts on, backpropagates
 *   loss + regularisers, clips the global gradient norm (0.1 search, 0.25 final), takes a plain SGD step at
 *   lr · length / 35, and copies s_T into the carried state (so the next window starts there, detached).
 *
 * Nothing is read back inside a step: the window's loss comes back as a promise that resolves once the GPU has run
 * it, which the caller awaits later (typically after recording the next window). The carried state is zeroed at
 * the end of each pass over the data, as the reference resets `batch_init_states` at `should_reset`.
 */
import { backward, type Engine, SGD, type Step, type Tensor } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import type { RnnArchitecture } from '../arch/rnn.js';
import { batchifyTokens } from '../data/token-batches.js';
import { BpttCursor } from './bptt.js';
import { checkRnnTrainConfig, type RnnTrainConfig } from './config.js';
import type { RnnLanguageModel } from './language-model.js';

export interface RnnTrainWindowResult {
  /** Mean cross-entropy of the window (without regularisers), once the GPU has run the step. */
  readonly loss: Promise<number>;
  /** Window length T. */
  readonly steps: number;
  /** First column of the window in the token matrix. */
  readonly start: number;
  readonly learningRate: number;
  /** This window ended a pass over the training data. */
  readonly epochEnd: boolean;
}

export class RnnLmTrainer {
  readonly optimizer: SGD;
  readonly cursor: BpttCursor;
  /** The state carried from window to window, [batchSize, H]. */
  readonly state: Tensor;
  /** Windows trained so far. */
  windows = 0;

  constructor(
    readonly lm: RnnLanguageModel,
    trainTokens: Int32Array,
    readonly config: RnnTrainConfig,
    rng: Rng,
  ) {
    checkRnnTrainConfig(config);
    this.optimizer = new SGD(lm.group, { lr: config.learningRate, clipNorm: config.clipNorm });
    this.cursor = new BpttCursor(batchifyTokens(trainTokens, config.batchSize), config, rng);
    this.state = lm.state('train', config.batchSize);
  }

  get engine(): Engine {
    return this.lm.engine;
  }

  /**
   * Records, submits and returns one training window for cell `arch`. `alsoRecord` adds more work to the same step
   * after the update (the search samples its next cell there).
   */
  trainWindow(arch: RnnArchitecture, alsoRecord?: (step: Step) => void): RnnTrainWindowResult {
    const draw = this.cursor.next();
    const learningRate = this.config.learningRate * draw.lrScale;
    this.optimizer.setLearningRate(learningRate);
    const step = this.engine.beginStep('rnn.train');
    let loss: Promise<number>;
    try {
      this.optimizer.zeroGrad();
      const f = this.lm.forward(draw.window, this.state, arch, true);
      backward(this.lm.regularizedLoss(f, arch, this.config));
      this.optimizer.step();
      this.lm.carryState(f.finalState, this.state);
      loss = step.read(f.loss).then((v) => v[0] as number);
      alsoRecord?.(step);
      step.submit();
    } catch (error) {
      this.engine.abortStep();
      throw error;
    }
    this.windows += 1;
    if (draw.epochEnd) this.lm.resetState(this.state);
    return { loss, steps: draw.window.steps, start: draw.start, learningRate, epochEnd: draw.epochEnd };
  }

  /** Starts the next pass over the data from column 0 with a zero state (the reference's reset ops). */
  restartEpoch(): void {
    this.cursor.start = 0;
    this.lm.resetState(this.state);
  }
}
