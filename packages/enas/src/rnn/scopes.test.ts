import { backward, Engine } from '@enas-webgpu/autograd';
import { type GpuContext, kernelCacheStats, Rng } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRnnArchitecture, type RnnArchitecture } from '../arch/rnn.js';
import { batchifyTokens, bpttWindow } from '../data/token-batches.js';
import { RNN_SEARCH_MODEL } from './config.js';
import { RnnLanguageModel } from './language-model.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 51 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const V = 13;
const tokens = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % V);
const matrix = batchifyTokens(tokens, 2);

describe('arena scopes of the recurrent cell', () => {
  it('the nodes of a cell bind the same ranges whatever the window length, so their bind groups are reused', async () => {
    const lm = new RnnLanguageModel(engine, { ...RNN_SEARCH_MODEL, vocabSize: V, hidden: 8, nodes: 3 }, 'shared', new Rng(1), 'scopes');
    const state = lm.state('train', 2);
    const train = (arch: RnnArchitecture, T: number) => {
      const step = engine.beginStep('scopes');
      lm.group.zeroGrads();
      const f = lm.forward(bpttWindow(matrix, 0, T), state, arch, true);
      backward(lm.regularizedLoss(f, arch, { weightDecay: 1e-3, activationL2: 0, slowness: 1 }));
      step.submit();
      return kernelCacheStats(ctx).bindGroups;
    };
    const a = parseRnnArchitecture('0 0 1 1 1 2');
    const b = parseRnnArchitecture('0 3 0 2 2 1');
    train(a, 6);
    const seen = train(b, 6);
    expect(train(b, 6)).toBe(seen);
    // A window of another length binds its window-sized tensors anew (inputs, stacked outputs, logits) ...
    const shorter = train(a, 4);
    expect(shorter).toBeGreaterThan(seen);
    // ... but the cell's nodes sit at the same offsets for every length: cell b at length 4 finds the bind groups
    // made for it at length 6, except at the last step, whose output no later step reads (so some gradients are
    // written rather than added: other kernel variants). One scope per node for all steps made 57 new ones here.
    expect(train(b, 4) - shorter).toBeLessThan(25);
    await ctx.sync();
  });
});
