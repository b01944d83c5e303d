/**
 * REINFORCE for the RNN controller (enas_lm `controller.py` `build_trainer`, `_build_train_op`; reference notes a.1):
 *
 *   reward    R = 80 / ppl + 1e-5 · entropy          ppl = exp(loss of the cell on one validation batch)
 *   baseline  b ← b − (1 − 0.999)(b − R)
 *   loss      (Σ −log p(decisions)) · (R − b)
 *   update    Adam (TensorFlow defaults: β1 0.9, β2 0.999, ε 1e-8; lr 5e-5) on the mean gradient of
 *             `aggregate` (10) samples (SyncReplicasOptimizer with replicas_to_aggregate = 10)
 *
 * Everything stays on the GPU: the validation loss feeds the reward kernel, whose advantage weights the replayed
 * −log p, so one sample is one step with nothing read back but the logged reward. Gradients of the aggregate's
 * samples accumulate in the controller's group across steps (autograd's live group gradients) and the update runs
 * in the step of the last one.
 *
 * The replay reads the decisions of the controller's log, so the cell must be the last one sampled: sample it at
 * the end of the previous step (SampledCells with depth 1), record this, then sample the next.
 */
import { backward, type Engine, mulScalar, type Step, scale, type Tensor } from '@enas-webgpu/autograd';
import { REWARD_OUT, reinforceReward } from '@enas-webgpu/wgsl-kernels';
import { InspectableAdam } from './model-state.js';
import type { RnnController } from './rnn-controller.js';

export interface RnnReinforceConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly entropyWeight: number;
  readonly baselineDecay: number;
  /** c of the reward c / ppl (REWARD_CONSTANT = 80). */
  readonly rewardConstant: number;
  /** Adam updates per controller phase (num_train_steps, 25). */
  readonly trainSteps: number;
  /** Samples averaged per update (num_aggregate, 10). */
  readonly aggregate: number;
}

export const RNN_REINFORCE_DEFAULTS: RnnReinforceConfig = {
  learningRate: 5e-5,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  entropyWeight: 1e-5,
  baselineDecay: 0.999,
  rewardConstant: 80,
  trainSteps: 25,
  aggregate: 10,
};

/** What one sample logged: [reward, advantage, baseline, score = c / ppl] (REWARD_OUT). */
export interface RnnRewardLog {
  readonly reward: number;
  readonly advantage: number;
  readonly baseline: number;
  /** The cell's validation perplexity, c / score. */
  readonly perplexity: number;
}

export class RnnReinforce {
  readonly optimizer: InspectableAdam;
  /** The moving-average baseline b ([1], persistent). */
  readonly baseline: Tensor;
  private readonly advantage: Tensor;
  private readonly out: Tensor;
  /** Samples recorded so far (all phases). */
  samples = 0;

  constructor(
    readonly controller: RnnController,
    readonly config: RnnReinforceConfig,
  ) {
    for (const [name, v] of [
      ['trainSteps', config.trainSteps],
      ['aggregate', config.aggregate],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`RNN REINFORCE: ${name} = ${v}; it must be a positive integer`);
    }
    if (!(config.rewardConstant > 0)) throw new Error(`RNN REINFORCE: rewardConstant = ${config.rewardConstant}; it must be > 0 (80)`);
    const e = controller.engine;
    this.optimizer = new InspectableAdam(controller.group, {
      lr: config.learningRate,
      beta1: config.beta1,
      beta2: config.beta2,
      epsilon: config.epsilon,
    });
    this.baseline = e.persistent(new Float32Array(1), [1], 'rnn-reinforce.baseline');
    this.advantage = e.persistent(new Float32Array(1), [1], 'rnn-reinforce.advantage');
    this.out = e.persistent(new Float32Array(4), [4], 'rnn-reinforce.out');
  }

  get engine(): Engine {
    return this.controller.engine;
  }

  /** Samples per controller phase: trainSteps · aggregate (250). */
  get samplesPerPhase(): number {
    return this.config.trainSteps * this.config.aggregate;
  }

  /**
   * Records, in the open `step`, the REINFORCE contribution of the cell in the controller's log whose validation
   * loss is `validLoss` ([1], on the GPU), and the Adam update when it completes an aggregate. Returns the logged
   * reward, resolved after the step ran.
   */
  record(step: Step, validLoss: Tensor): Promise<RnnRewardLog> {
    const e = this.engine;
    const aggregate = this.config.aggregate;
    if (this.samples % aggregate === 0) this.optimizer.zeroGrad();
    reinforceReward(
      e.rec,
      {
        measure: validLoss.data,
        entropy: this.controller.log.entropySum.data,
        state: this.baseline.data,
        advantage: this.advantage.data,
        out: this.out.data,
      },
      {
        score: 'perplexity',
        scale: this.config.rewardConstant,
        entropyWeight: this.config.entropyWeight,
        baselineDecay: this.config.baselineDecay,
      },
    );
    e.scope('rnn.controller.replay', () => {
      const negLogProb = this.controller.run('replay') as Tensor;
      backward(scale(mulScalar(negLogProb, this.advantage), 1 / aggregate));
    });
    this.samples += 1;
    if (this.samples % aggregate === 0) this.optimizer.step();
    const c = this.config.rewardConstant;
    return step.read(this.out).then((v) => ({
      reward: v[REWARD_OUT.reward] as number,
      advantage: v[REWARD_OUT.advantage] as number,
      baseline: v[REWARD_OUT.baseline] as number,
      perplexity: c / (v[REWARD_OUT.score] as number),
    }));
  }
}
