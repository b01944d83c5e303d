/**
 * Parity cases of src/ops/reinforce: the REINFORCE reward, moving-average baseline and advantage in one
 * invocation, for both scores (validation accuracy; the language model's c / perplexity). The baseline state is
 * updated in place.
 */
import { type ReinforceRewardOptions, reinforceReward } from '../../../src/ops/reinforce/reward.js';
import { reinforceRewardRef } from '../../../src/ops/reinforce/reward.reference.js';
import { type ParityCase, parityCase } from '../parity-case.js';

const f32 = Math.fround;

function rewardCase(label: string, measure: number, o: ReinforceRewardOptions, arena = false) {
  return parityCase({
    name: `reinforceReward ${label}${arena ? ' (arena)' : ''}`,
    family: 'reinforce',
    arena,
    inputs: (rng) => ({ measure: Float32Array.of(measure), entropy: rng.f32(1, 0.5, 15), baseline: rng.f32(1, 0.1, 0.5) }),
    outputs: ({ baseline }) => ({ state: { initial: baseline }, advantage: { count: 1 }, out: { count: 4 } }),
    record: (rec, t) =>
      reinforceReward(rec, { measure: t.measure, entropy: t.entropy, state: t.state, advantage: t.advantage, out: t.out }, o),
    reference: ({ entropy, baseline }) => {
      const r = reinforceRewardRef(measure, entropy[0] as number, baseline[0] as number, o);
      return { state: [r.baseline], advantage: [r.advantage], out: [r.reward, r.advantage, r.baseline, r.score] };
    },
  });
}

export const reinforceCases: ParityCase[] = [
  // CIFAR: 97 of 160 validation images right, entropy bonus 1e-4, baseline decay 0.99.
  rewardCase('accuracy', 97, { score: 'accuracy', scale: f32(1 / 160), entropyWeight: f32(1e-4), baselineDecay: f32(0.99) }),
  // PTB: mean loss 4.5 (perplexity 90), reward 80 / perplexity.
  rewardCase('perplexity', f32(4.5), { score: 'perplexity', scale: 80, entropyWeight: f32(1e-5), baselineDecay: f32(0.999) }, true),
];
