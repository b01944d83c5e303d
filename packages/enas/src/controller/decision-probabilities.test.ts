import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { softmaxRows } from './decision-log.js';
import { MicroController } from './micro-controller.js';

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

const small = { nodes: 3, lstmSize: 16 };

/** One sampling pass; returns the sampler's own words, Σ log p and Σ entropy, and the dispatches it recorded. */
async function samplePass(c: MicroController) {
  const step = engine.beginStep('sample');
  c.run('sample');
  const dispatches = step.rec.dispatchCount;
  const words = step.readU32(c.log.packedIndices);
  const logProb = step.read(c.log.logProbSum);
  const entropy = step.read(c.log.entropySum);
  step.submit();
  return { words: await words, logProb: (await logProb)[0] as number, entropy: (await entropy)[0] as number, dispatches };
}

describe('decision probabilities (kept logits of a sampling pass)', () => {
  it('match what the GPU sampler drew from: Σ log p(chosen) and Σ entropy agree with its own sums', async () => {
    const c = new MicroController(engine, engine.group('ctrl-probs'), new Rng(3), small);
    c.keepDecisionLogits();
    for (let pass = 0; pass < 3; pass++) {
      const s = await samplePass(c);
      const probs = await c.log.readProbabilities();
      expect(probs).toHaveLength(8 * small.nodes);
      let logProb = 0;
      let entropy = 0;
      probs.forEach((p, i) => {
        // Per node: index, op, index, op; node j (0-based) chooses among j + 2 earlier indices, ops among 5.
        const node = Math.floor((i % (4 * small.nodes)) / 4);
        expect(p.length, `decision ${i}`).toBe(i % 2 === 0 ? node + 2 : 5);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        const chosen = s.words[i] as number;
        expect(chosen).toBeLessThan(p.length);
        logProb += Math.log(p[chosen] as number);
        for (const q of p) entropy -= q > 0 ? q * Math.log(q) : 0;
      });
      // f32 GPU sums of f32 terms against a float64 softmax of the same f32 logits.
      expect(Math.abs(logProb - s.logProb)).toBeLessThan(1e-4 * Math.max(1, Math.abs(logProb)));
      expect(Math.abs(entropy - s.entropy)).toBeLessThan(1e-4 * Math.max(1, Math.abs(entropy)));
    }
  });

  it('cost no dispatch: the sampler writes them as it draws, so a pass records the same dispatches kept or not', async () => {
    const c = new MicroController(engine, engine.group('ctrl-cost'), new Rng(4), small);
    const plain = await samplePass(c);
    expect(c.log.keepsLogits).toBe(false);
    await expect(c.log.readProbabilities()).rejects.toThrow(/keepLogits/);
    c.keepDecisionLogits();
    const kept = await samplePass(c);
    expect(kept.dispatches).toBe(plain.dispatches);
  });

  it('softmaxRows: rows apart by their stride, K per row; a row past the data is an error', () => {
    const rows = softmaxRows([0, Math.log(3), 99, 99, 1, 1, 1, 99], 4, [2, 3]);
    expect(rows[0]?.[0]).toBeCloseTo(0.25, 15);
    expect(rows[0]?.[1]).toBeCloseTo(0.75, 15);
    for (const p of rows[1] as Float64Array) expect(p).toBeCloseTo(1 / 3, 15);
    // Large logits do not overflow (max-subtracted).
    expect(Array.from(softmaxRows([1000, 1000], 2, [2])[0] as Float64Array)).toEqual([0.5, 0.5]);
    expect(() => softmaxRows([0, 0, 0], 2, [2, 2])).toThrow(/row 1 needs 2 values/);
  });
});
