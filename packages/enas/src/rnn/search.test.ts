import { Engine } from '@enas-webgpu/autograd';
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRnnArchitecture, printRnnArchitecture, validateRnnArchitecture } from '../arch/rnn.js';
import { builtinCorpus } from './builtin-text.js';
import { readNamedTensors } from './model-state.js';
import { RnnSearch } from './search.js';
import type { RnnSearchOptions } from './search-config.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 31 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const corpus = builtinCorpus({ sentences: 40, seed: 2 });
const NODES = 3;
// The reference's structure at toy sizes: vocabulary ~50, hidden 16, batch 3, windows of ~5 steps.
const tiny: RnnSearchOptions = {
  model: { vocabSize: corpus.vocabulary.words.length, hidden: 16, nodes: NODES, initRange: 0.1 },
  training: { batchSize: 3, bpttSteps: 5, bpttStd: 1 },
  controller: { lstmSize: 16 },
  reinforce: { trainSteps: 2, aggregate: 2, learningRate: 0.01 },
  validBatchSize: 2,
  validSteps: 5,
  validBatches: 2,
  seed: 4,
};

describe('RNN cell search', () => {
  it('trains the shared weights on sampled cells, then the controller, then validates; all cells valid', async () => {
    const search = new RnnSearch(engine, corpus, { ...tiny, name: 'steps' });
    const cells: string[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const w = await search.trainWindow();
      validateRnnArchitecture(w.architecture);
      expect(w.architecture.nodes).toHaveLength(NODES);
      cells.push(printRnnArchitecture(w.architecture));
      expect(w.learningRate).toBeCloseTo(20 * (w.steps / 5), 5);
      losses.push(await w.loss);
    }
    for (const l of losses) {
      expect(l).toBeGreaterThan(0);
      expect(l).toBeLessThan(2 * Math.log(corpus.vocabulary.words.length));
    }
    expect(new Set(cells).size).toBeGreaterThan(1);

    const phase = await search.trainController();
    expect(phase.samples).toHaveLength(4);
    expect(search.reinforce.optimizer.t).toBe(2);
    for (const r of phase.samples) {
      expect(r.perplexity).toBeGreaterThan(1);
      expect(r.reward).toBeCloseTo(80 / r.perplexity, 2);
    }
    // b ← b − 0.001 (b − R) from 0: after four samples the baseline is a small fraction of the rewards.
    expect(phase.baseline).toBeGreaterThan(0);
    expect(phase.baseline).toBeLessThan(0.01 * phase.meanReward);
    const ppl = await search.validate();
    expect(ppl).toBeGreaterThan(1);
    expect(ppl).toBeLessThan(corpus.vocabulary.words.length * 4);
  });

  it('a whole epoch runs to the end of the training data and reports its perplexities', async () => {
    const small = builtinCorpus({ sentences: 12, seed: 3 });
    const search = new RnnSearch(engine, small, {
      ...tiny,
      model: { ...tiny.model, vocabSize: small.vocabulary.words.length },
      name: 'epoch',
    });
    let windows = 0;
    const report = await search.runEpoch({ onWindow: () => (windows += 1) });
    expect(report.epoch).toBe(1);
    expect(report.windows).toBe(windows);
    expect(windows).toBeGreaterThan(2);
    expect(search.trainer.cursor.start).toBe(0);
    expect(Number.isFinite(report.trainPerplexity) && Number.isFinite(report.validPerplexity)).toBe(true);
  });

  it('derive returns the best sampled cell in the official arc format', async () => {
    const search = new RnnSearch(engine, corpus, { ...tiny, name: 'derive' });
    const d = await search.derive(6);
    expect(d.candidates).toHaveLength(6);
    expect(d.arc).toMatch(/^\d+ \d+( \d+ \d+){2}$/);
    expect(printRnnArchitecture(parseRnnArchitecture(d.arc, { nodes: NODES }))).toBe(d.arc);
    expect(d.loss).toBe(Math.min(...d.candidates.map((c) => c.loss)));
    expect(d.perplexity).toBeCloseTo(Math.exp(d.loss), 6);
  });

  it('a checkpoint restores weights, optimizer state and random state exactly', async () => {
    const search = new RnnSearch(engine, corpus, { ...tiny, name: 'checkpoint' });
    await search.trainWindow();
    await search.trainController();
    const saved = await readNamedTensors(engine, search.stateTensors());
    const counters = search.counters();
    expect([...saved.keys()]).toEqual(
      expect.arrayContaining([
        'child.embedding.w',
        'child.cell.w_prev',
        'child.state',
        'controller.lstm.layer_0.w',
        'controller.adam.m.attention.v',
        'controller.baseline',
      ]),
    );
    const before = await search.validate(2);
    await search.trainWindow();
    await search.trainController();
    expect(await search.validate(2)).not.toBe(before);
    search.restore(saved, counters);
    expect(await search.validate(2)).toBe(before);
    expect(() => search.restore(new Map([...saved].slice(1)), counters)).toThrow(/missing/);
    expect(() => new RnnSearch(engine, corpus, { ...tiny, name: 'checkpoint' })).toThrow(/already holds .* another name/);
    expect(() => new RnnSearch(engine, corpus, { ...tiny, controller: { nodes: 5 }, name: 'bad' })).toThrow(/controller samples 5 nodes/);
  });
});
