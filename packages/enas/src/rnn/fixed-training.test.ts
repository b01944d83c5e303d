import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED_RNN_ARC } from '../arch/published.js';
import { parseRnnArchitecture } from '../arch/rnn.js';
import { batchifyTokens, bpttWindow } from '../data/token-batches.js';
import { builtinCorpus } from './builtin-text.js';
import { RNN_FINAL_MODEL } from './config.js';
import { RnnFixedTraining } from './fixed-training.js';
import { RnnLanguageModel } from './language-model.js';
import type { RnnWeightPool } from './weight-pool.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 41 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const corpus = builtinCorpus({ sentences: 60, seed: 5 });
const V = corpus.vocabulary.words.length;
const published = parseRnnArchitecture(PUBLISHED_RNN_ARC);
// The final model's structure at toy size; its dropouts (up to 0.75) would need many epochs at hidden 16.
const model = {
  ...RNN_FINAL_MODEL,
  vocabSize: V,
  hidden: 16,
  initRange: 0.1,
  dropout: { embeddingRows: 0.05, embeddingOutput: 0.1, cellInput: 0.2, state: 0.1, output: 0.2 },
};
const training = { batchSize: 3, bpttSteps: 6, bpttStd: 1 };

describe('fixed cell', () => {
  it('the published cell builds, and training it lowers the validation perplexity', async () => {
    expect(published.nodes).toHaveLength(8);
    const fixed = new RnnFixedTraining(engine, published, corpus.train, { model, training, validBatchSize: 2, name: 'fixed-a' });
    expect(fixed.lm.parameters().map((p) => p.name)).toEqual([
      'embedding.w',
      'cell.w_prev',
      ...published.nodes.map((_, k) => `cell.node_${k + 1}.w`),
    ]);
    const before = await fixed.validate(corpus.valid);
    // Untrained, every word is about equally likely.
    expect(before.perplexity).toBeGreaterThan(0.7 * V);
    const epoch = await fixed.trainEpoch();
    expect(epoch.windows).toBeGreaterThan(20);
    await fixed.trainEpoch();
    const after = await fixed.validate(corpus.valid);
    expect(after.perplexity).toBeLessThan(0.65 * before.perplexity);
    const test = await fixed.test(corpus.test);
    expect(test.tokens).toBe(corpus.test.length - 1);
    expect(test.perplexity).toBeLessThan(0.65 * before.perplexity);
  });

  it('full-sequence evaluation does not depend on the window length (the state is carried)', async () => {
    const fixed = new RnnFixedTraining(engine, published, corpus.train, { model, training, seed: 2, name: 'fixed-b' });
    const tokens = corpus.valid.subarray(0, 61);
    const a = await fixed.evaluate(tokens, { steps: 4 });
    const b = await fixed.evaluate(tokens, { steps: 11 });
    const c = await fixed.evaluate(tokens, { steps: 60 });
    expect(a.tokens).toBe(60);
    expect(b.perplexity).toBeCloseTo(a.perplexity, 4);
    expect(c.perplexity).toBeCloseTo(a.perplexity, 4);
    // Two rows: each row loses its first token as a target, and the odd tail token is dropped.
    expect((await fixed.evaluate(tokens, { batchSize: 2, steps: 7 })).tokens).toBe(2 * 29);
  });

  it('a fixed cell computes what the search cell computes with the same weights in its slots', async () => {
    const fixed = new RnnLanguageModel(
      engine,
      { ...model, dropout: { ...model.dropout } },
      published,
      new Rng(3),
      'rnn-fixed-vs-shared.fixed',
    );
    const shared = new RnnLanguageModel(engine, model, 'shared', new Rng(4), 'rnn-fixed-vs-shared.shared');
    const pool = shared.cell as RnnWeightPool;
    const copy = async (from: { data: GPUBufferSlice }, to: { data: GPUBufferSlice }, n: number) => {
      const values = await download(ctx, from.data, n);
      ctx.writeBuffer(to.data.buffer, to.data.offset, values);
    };
    await copy(fixed.embedding, shared.embedding, fixed.embedding.size);
    await copy(fixed.cell.wPrev, pool.wPrev, pool.wPrev.size);
    for (const [k, node] of published.nodes.entries()) {
      const w = fixed.cell.weight(k + 1, node.func, node.prev);
      await copy(w, pool.slot(k + 1, node.func, node.prev), w.size);
    }
    const window = bpttWindow(batchifyTokens(corpus.valid, 2), 0, 6);
    const loss = async (lm: RnnLanguageModel) => {
      const step = engine.beginStep('compare');
      const f = engine.noGrad(() => lm.forward(window, lm.state('zero', 2), published, false));
      const v = step.read(f.loss);
      step.submit();
      return (await v)[0] as number;
    };
    expect(await loss(shared)).toBe(await loss(fixed));
    expect(() => fixed.cell.weight(1, 1, 0)).toThrow(/not part of this fixed cell/);
  });
});

type GPUBufferSlice = { buffer: GPUBuffer; offset: number; size: number };
