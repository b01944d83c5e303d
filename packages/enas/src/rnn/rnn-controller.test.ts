import { Adam, backward, Engine, mulScalar } from '@enas-webgpu/autograd';
import { type GpuContext, Rng, reinforceReward } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArchitectureError } from '../arch/arc-tokens.js';
import { printRnnArchitecture, validateRnnArchitecture } from '../arch/rnn.js';
import { RnnController, rnnArchitectureFromWords } from './rnn-controller.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 11 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const small = { nodes: 4, lstmSize: 16 };

async function sampleOnce(c: RnnController) {
  const step = engine.beginStep('sample');
  c.run('sample');
  const words = step.readU32(c.log.packedIndices);
  const logp = step.read(c.log.logProbSum);
  const entropy = step.read(c.log.entropySum);
  step.submit();
  return { words: await words, logp: (await logp)[0] as number, entropy: (await entropy)[0] as number };
}

async function replay(c: RnnController): Promise<number> {
  const step = engine.beginStep('replay');
  const negLogProb = c.run('replay');
  const value = step.read(negLogProb as NonNullable<typeof negLogProb>);
  step.submit();
  return (await value)[0] as number;
}

describe('RNN controller', () => {
  it('samples valid, varied cells, and its replay recomputes the sampled log-probability', async () => {
    const c = new RnnController(engine, engine.group('rnn-ctrl-a'), new Rng(3), small);
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const s = await sampleOnce(c);
      const arch = rnnArchitectureFromWords(s.words, small.nodes);
      validateRnnArchitecture(arch);
      seen.add(printRnnArchitecture(arch));
      expect(s.entropy).toBeGreaterThan(0);
      expect(await replay(c)).toBeCloseTo(-s.logp, 4);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('with near-zero weights, −log p is the distance penalty and uniform functions in closed form', async () => {
    // Attention and function logits are ~1e-12 here, so p(prev = j | node i) = softmax_j(−(i − j)²/6) and p(func) = 1/4.
    const c = new RnnController(engine, engine.group('rnn-ctrl-b'), new Rng(4), { ...small, initRange: 1e-6 });
    for (let trial = 0; trial < 3; trial++) {
      const s = await sampleOnce(c);
      const arch = rnnArchitectureFromWords(s.words, small.nodes);
      let expected = 0;
      arch.nodes.forEach((node, k) => {
        const i = k + 1;
        const logits = Array.from({ length: i }, (_, j) => -((i - j) ** 2) / 6);
        const logSum = Math.log(logits.reduce((a, z) => a + Math.exp(z), 0));
        expected += logSum - (logits[node.prev] as number) + Math.log(4);
      });
      expect(-s.logp).toBeCloseTo(expected, 4);
      expect(await replay(c)).toBeCloseTo(expected, 4);
    }
  });

  it('REINFORCE raises the share of a rewarded activation (reward = share of ReLU nodes)', async () => {
    const c = new RnnController(engine, engine.group('rnn-ctrl-c'), new Rng(5), { ...small, initRange: 0.1 });
    const opt = new Adam(c.group, { lr: 0.05, epsilon: 1e-8 });
    const baseline = engine.persistent(new Float32Array(1), [1], 'baseline');
    const out = engine.persistent(new Float32Array(4), [4], 'reward');
    const advantage = engine.persistent(new Float32Array(1), [1], 'advantage');
    const share = (w: Uint32Array) =>
      Array.from({ length: small.nodes }, (_, k) => (w[2 * k + 1] === 1 ? 1 : 0) as number).reduce((a, b) => a + b, 0) / small.nodes;
    const shares: number[] = [];
    for (let update = 0; update < 40; update++) {
      const s = await sampleOnce(c);
      shares.push(share(s.words));
      const t = engine.beginStep('reinforce');
      opt.zeroGrad();
      const measure = engine.input(Float32Array.of(share(s.words)), [1], 'measure');
      reinforceReward(
        engine.rec,
        { measure: measure.data, entropy: c.log.entropySum.data, state: baseline.data, advantage: advantage.data, out: out.data },
        { score: 'accuracy', scale: 1, entropyWeight: 0, baselineDecay: 0.9 },
      );
      backward(mulScalar(c.run('replay') as NonNullable<ReturnType<typeof c.run>>, advantage));
      opt.step();
      t.submit();
    }
    const early = shares.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
    const late = shares.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(early).toBeLessThan(0.45);
    expect(late).toBeGreaterThan(0.7);
  });

  it('rejects decision words that do not form a valid cell', () => {
    expect(rnnArchitectureFromWords([0, 2, 1, 3], 2).nodes).toEqual([
      { prev: 0, func: 2 },
      { prev: 1, func: 3 },
    ]);
    expect(() => rnnArchitectureFromWords([0, 2, 2, 3], 2)).toThrow(ArchitectureError);
    expect(() => rnnArchitectureFromWords([0, 4], 1)).toThrow(/func/);
    expect(() => rnnArchitectureFromWords([0], 1)).toThrow(/1 words for 1 nodes/);
  });
});
