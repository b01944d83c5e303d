import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RNN_REINFORCE_DEFAULTS, RnnReinforce } from './reinforce.js';
import { RnnController } from './rnn-controller.js';
import { SampledCells } from './sampled-cells.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 61 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

describe('REINFORCE for the RNN controller', () => {
  it('rewards 80 / exp(loss), keeps the moving baseline, and moves the policy toward low-loss cells', async () => {
    const nodes = 3;
    const controller = new RnnController(engine, engine.group('reinforce-test'), new Rng(8), { nodes, lstmSize: 16, initRange: 0.1 });
    // A fast learner so the test is short; aggregate 2 averages two samples per Adam update, as the reference's 10.
    const reinforce = new RnnReinforce(controller, { ...RNN_REINFORCE_DEFAULTS, learningRate: 0.05, baselineDecay: 0.9, aggregate: 2 });
    const cells = new SampledCells(controller);
    // A stand-in validation loss: 5 nats, minus 1 per identity node (so identity cells have lower perplexity).
    const identityShare: number[] = [];
    const logs = await cells.map(80, (step, arch) => {
      const identity = arch.nodes.filter((n) => n.func === 3).length;
      identityShare.push(identity / nodes);
      const loss = engine.input(Float32Array.of(5 - identity), [1], 'loss');
      return reinforce.record(step, loss);
    });
    expect(reinforce.optimizer.t).toBe(40);
    const first = logs[0];
    expect(first?.perplexity).toBeCloseTo(Math.exp(5 - 3 * (identityShare[0] as number)), 3);
    // reward = 80 / ppl + 1e-5 · entropy; the baseline starts at 0: b = 0.1 · R after one sample.
    expect(first?.reward).toBeCloseTo(80 / (first?.perplexity as number), 3);
    expect(first?.baseline).toBeCloseTo(0.1 * (first?.reward as number), 5);
    expect(first?.advantage).toBeCloseTo(0.9 * (first?.reward as number), 5);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(identityShare.slice(0, 20))).toBeLessThan(0.45);
    expect(mean(identityShare.slice(-20))).toBeGreaterThan(0.6);
  });
});
