import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { download, expectClose, poisoned, runOnGpu, testContext, upload } from '../../testing/index.js';
import { reinforceReward } from './reward.js';
import { reinforceRewardRef } from './reward.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('reinforceReward', () => {
  it('accuracy reward with entropy bonus and moving-average baseline, over 3 updates', async () => {
    const o = { score: 'accuracy' as const, scale: 1 / 160, entropyWeight: 1e-4, baselineDecay: 0.99 };
    const state = upload(ctx, [0.2]);
    let baseline = 0.2;
    for (const [correct, entropy] of [
      [97, 12.5],
      [40, 3],
      [160, 0.5],
    ] as const) {
      const out = poisoned(ctx, 4);
      const advantage = poisoned(ctx, 1);
      await runOnGpu(ctx, (rec) =>
        reinforceReward(rec, { measure: upload(ctx, [correct]), entropy: upload(ctx, [entropy]), state, advantage, out }, o),
      );
      const r = reinforceRewardRef(correct, entropy, baseline, o);
      baseline = r.baseline;
      expectClose(await download(ctx, out, 4), [r.reward, r.advantage, r.baseline, r.score], { label: 'reward record' });
      expectClose(await download(ctx, advantage, 1), [r.advantage], { label: 'advantage' });
    }
    expectClose(await download(ctx, state, 1), [baseline], { label: 'baseline state' });
  });

  it('perplexity reward c / exp(loss)', async () => {
    const o = { score: 'perplexity' as const, scale: 80, entropyWeight: 1e-5, baselineDecay: 0.999 };
    const out = poisoned(ctx, 4);
    await runOnGpu(ctx, (rec) =>
      reinforceReward(
        rec,
        { measure: upload(ctx, [4.7]), entropy: upload(ctx, [20]), state: upload(ctx, [0.5]), advantage: poisoned(ctx, 1), out },
        o,
      ),
    );
    const r = reinforceRewardRef(4.7, 20, 0.5, o);
    expectClose(await download(ctx, out, 4), [r.reward, r.advantage, r.baseline, r.score], { label: 'perplexity reward' });
    expect(r.score).toBeCloseTo(80 / Math.exp(4.7), 10);
  });

  it('rejects a decay outside [0, 1]', async () => {
    const s = upload(ctx, [0, 0, 0, 0]);
    await expect(
      runOnGpu(ctx, (rec) =>
        reinforceReward(
          rec,
          { measure: s, entropy: s, state: s, advantage: s, out: s },
          { score: 'accuracy', scale: 1, entropyWeight: 0, baselineDecay: 1.5 },
        ),
      ),
    ).rejects.toThrow(/baselineDecay 1.5/);
  });
});
