import { Adam, backward, Engine, mulScalar } from '@enas-webgpu/autograd';
import { type GpuContext, Rng, reinforceReward } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateMicroArchitecture } from '../arch/micro.js';
import { MicroController, microArchitectureFromWords } from './micro-controller.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 5 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

// A small controller keeps lavapipe fast; the structure is the official one.
const small = { nodes: 3, lstmSize: 16 };

describe('micro controller', () => {
  it('samples valid, varied architectures on the GPU, and its replay recomputes the same log-probability', async () => {
    const c = new MicroController(engine, engine.group('ctrl-a'), new Rng(1), small);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const step = engine.beginStep('sample');
      c.run('sample');
      const words = step.readU32(c.log.packedIndices);
      const logp = step.read(c.log.logProbSum);
      const entropy = step.read(c.log.entropySum);
      step.submit();
      const arch = microArchitectureFromWords(await words, small.nodes);
      validateMicroArchitecture(arch);
      seen.add(JSON.stringify(arch));
      expect((await entropy)[0]).toBeGreaterThan(0);

      const replay = engine.beginStep('replay');
      const { negLogProb } = c.run('replay');
      const replayed = replay.read(negLogProb);
      replay.submit();
      const sampled = (await logp)[0] as number;
      expect((await replayed)[0]).toBeCloseTo(-sampled, 4);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('REINFORCE raises the probability of a rewarded op (reward = share of avg-pool ops)', async () => {
    // With the official b_soft = [10, 10, 0, 0, 0] the tanh of the two separable convs' logits saturates and they
    // barely move, which caps what any other op can reach; a zero bias and no op tanh reduction make the target
    // reachable, so this measures REINFORCE itself.
    const c = new MicroController(engine, engine.group('ctrl-b'), new Rng(2), {
      ...small,
      tanhConstant: 2.5,
      opTanhReduce: 1,
      opBiasInit: [0, 0, 0, 0, 0],
    });
    const opt = new Adam(c.group, { lr: 0.1, beta1: 0, epsilon: 1e-3 });
    const baseline = engine.persistent(new Float32Array(1), [1], 'baseline');
    const reward = engine.persistent(new Float32Array(4), [4], 'reward');
    const advantage = engine.persistent(new Float32Array(1), [1], 'advantage');
    const share = (words: Uint32Array) => {
      let hits = 0;
      for (let i = 1; i < words.length; i += 2) hits += words[i] === 2 ? 1 : 0;
      return hits / (words.length / 2);
    };
    const shares: number[] = [];
    for (let update = 0; update < 50; update++) {
      const s = engine.beginStep('sample');
      c.run('sample');
      const words = s.readU32(c.log.packedIndices);
      s.submit();
      const w = await words;
      shares.push(share(w));

      const t = engine.beginStep('reinforce');
      opt.zeroGrad();
      const measure = engine.input(Float32Array.of(share(w)), [1], 'measure');
      reinforceReward(
        engine.rec,
        { measure: measure.data, entropy: c.log.entropySum.data, state: baseline.data, advantage: advantage.data, out: reward.data },
        { score: 'accuracy', scale: 1, entropyWeight: 0, baselineDecay: 0.9 },
      );
      backward(mulScalar(c.run('replay').negLogProb, advantage));
      opt.step();
      t.submit();
    }
    const early = shares.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
    const late = shares.slice(-10).reduce((a, b) => a + b, 0) / 10;
    // Five ops start roughly uniform (the normal cell's fixed bias tilts them a little): avg pool near 0.2.
    expect(early).toBeLessThan(0.35);
    expect(late).toBeGreaterThan(0.7);
  });
});
