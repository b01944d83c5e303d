/**
 * The REINFORCE bookkeeping of ENAS in one invocation, so no scalar leaves the GPU inside a controller step:
 *
 *   reward    R = score + entropyWeight · entropy        (micro_controller.py build_trainer: R += w · H)
 *   baseline  b ← b − (1 − decay) · (b − R)               (moving average, decay 0.99 CIFAR / 0.999 LM)
 *   advantage A = R − b                                   (with the updated baseline, as the paper's b)
 *
 * `score` is what the child achieved on one validation batch: 'accuracy' = correct / batch (CIFAR, reward is
 * valid accuracy), or 'perplexity' = c / exp(mean cross-entropy) (the language model, c = 80). The controller's
 * loss is then Σ −log p(decisions) · A (its gradient is REINFORCE's).
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

export type RewardScore = 'accuracy' | 'perplexity';

/** The `out` record (f32): where the kernel writes, in element order. */
export const REWARD_OUT = { reward: 0, advantage: 1, baseline: 2, score: 3 } as const;

export const reinforceRewardKernel = defineKernel({
  name: 'reinforce_reward',
  // state[0] = baseline (persistent across steps); the first update starts from it.
  bindings: { measure: read(), entropy: read(), state: readWrite(), advantage: readWrite(), out: readWrite() },
  uniforms: { scale: 'f32', entropyWeight: 'f32', decay: 'f32' },
  workgroupSize: [1, 1, 1],
  wgsl: (c: { score: RewardScore }) => /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  // accuracy: measure = correct count, scale = 1 / batch. perplexity: measure = mean loss, scale = c.
  let score = ${c.score === 'accuracy' ? 'measure[0] * u.scale' : 'u.scale / exp(min(measure[0], 80.0))'};
  let reward = score + u.entropyWeight * entropy[0];
  let b = state[0] - (1.0 - u.decay) * (state[0] - reward);
  state[0] = b;
  advantage[0] = reward - b;
  out[0] = reward;
  out[1] = reward - b;
  out[2] = b;
  out[3] = score;
}`,
});

export interface ReinforceRewardOptions {
  readonly score: RewardScore;
  /** accuracy: 1 / validation batch size. perplexity: the constant c of c / ppl (80 in enas_lm). */
  readonly scale: number;
  readonly entropyWeight: number;
  readonly baselineDecay: number;
}

/**
 * Computes reward, advantage and the new baseline. `measure` is the correct count or the mean loss ([1]),
 * `entropy` the summed entropy of the sampled decisions ([1]), `state` the persistent baseline ([1], updated),
 * `advantage` receives R − b ([1], the loss weight, bound on its own so a loss op can read it), and `out` receives
 * [reward, advantage, baseline, score] (REWARD_OUT) for logging.
 */
export function reinforceReward(
  rec: Recorder,
  t: { measure: BufferSlice; entropy: BufferSlice; state: BufferSlice; advantage: BufferSlice; out: BufferSlice },
  o: ReinforceRewardOptions,
): void {
  if (t.out.size < 16)
    throw new Error(`reinforceReward: out holds ${t.out.size / 4} floats; it needs 4 (reward, advantage, baseline, score)`);
  if (!(o.baselineDecay >= 0 && o.baselineDecay <= 1))
    throw new Error(`reinforceReward: baselineDecay ${o.baselineDecay} must be in [0, 1]`);
  if (!Number.isFinite(o.scale) || !Number.isFinite(o.entropyWeight)) {
    throw new Error(`reinforceReward: scale ${o.scale} and entropyWeight ${o.entropyWeight} must be finite`);
  }
  reinforceRewardKernel.dispatch(rec, {
    config: { score: o.score },
    bind: t,
    uniforms: { scale: o.scale, entropyWeight: o.entropyWeight, decay: o.baselineDecay },
    grid: [1],
  });
}
