/** Float64 reference of reinforceReward. */
import type { RewardScore } from './reward.js';

export function reinforceRewardRef(
  measure: number,
  entropy: number,
  baseline: number,
  o: { score: RewardScore; scale: number; entropyWeight: number; baselineDecay: number },
): { reward: number; advantage: number; baseline: number; score: number } {
  const score = o.score === 'accuracy' ? measure * o.scale : o.scale / Math.exp(Math.min(measure, 80));
  const reward = score + o.entropyWeight * entropy;
  const b = baseline - (1 - o.baselineDecay) * (baseline - reward);
  return { reward, advantage: reward - b, baseline: b, score };
}
