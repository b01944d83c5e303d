import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MacroArchitecture, parseMacroArchitecture, validateMacroArchitecture } from '../arch/macro.js';
import type { ImageDataset, LabeledImages } from '../data/labeled-images.js';
import { captureSearch, restoreSearch } from '../run/search-checkpoint.js';
import { CnnSearch, type CnnSearchOptions } from '../search/cnn-search.js';
import { createMacroSpace, type MacroSpaceOptions } from './space.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

function images(count: number, seed: number): LabeledImages {
  const r = new Rng(seed);
  const pixels = new Uint8Array(count * 3 * 8 * 8);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = r.int(0, 2);
    labels[i] = label;
    for (let p = 0; p < 3 * 64; p++) pixels[i * 192 + p] = Math.min(255, r.int(0, 200) + label * 25);
  }
  return { count, channels: 3, height: 8, width: 8, labels, pixels };
}

const data: ImageDataset = { name: 'synthetic', classes: ['a', 'b', 'c'], train: images(24, 1), valid: images(8, 2), test: images(8, 3) };

// 4 layers of 8 channels, pooling after layers 0 and 1.
const tinySpace: MacroSpaceOptions = {
  child: { layers: 4, filters: 8, inputChannels: 3, imageSize: 8, classes: 3, keepProb: 0.9 },
  controller: { lstmSize: 16 },
  seed: 7,
};

const tinySearch: CnnSearchOptions = {
  batchSize: 4,
  lr: { lrMax: 0.05, lrMin: 0.0005, t0: 10, tMul: 2 },
  momentum: 0.9,
  l2: 2.5e-4,
  auxWeight: 0,
  childStepsPerEpoch: 3,
  controllerSteps: 1,
  aggregate: 2,
  controllerLr: 0.001,
  entropyWeight: 1e-4,
  baselineDecay: 0.99,
  augment: { pad: 2, flip: true, cutout: 0 },
  seed: 7,
};

describe('macro search', () => {
  it('runs child steps and controller updates on sampled architectures, and derives a valid one', async () => {
    const engine = new Engine(ctx, { seed: 1 });
    const search = new CnnSearch(engine, createMacroSpace(engine, tinySpace), data, tinySearch);
    for (let s = 0; s < 3; s++) {
      const r = await search.childStep();
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      validateMacroArchitecture(parseMacroArchitecture(r.arc, { layers: 4 }));
    }
    const c = await search.controllerStep();
    expect(c.arcs).toHaveLength(2);
    expect(c.entropy).toBeGreaterThan(0);
    expect(Number.isFinite(c.reward)).toBe(true);
    const best = await search.derive(3);
    validateMacroArchitecture(best.arch);
    expect(best.arch.layers).toHaveLength(4);
    expect(best.accuracy).toBeGreaterThanOrEqual(0);
    engine.destroy();
  });

  it('switching architectures writes and copies nothing but the data batch (100 switches)', async () => {
    const engine = new Engine(ctx, { seed: 2 });
    const search = new CnnSearch(engine, createMacroSpace(engine, tinySpace), data, { ...tinySearch, childStepsPerEpoch: 1000 });
    // Warm-up: every op at every position, with all skips and with none, so every uniform record (shapes) exists.
    for (const op of [0, 1, 2, 3, 4, 5]) {
      for (const bit of [0, 1]) {
        const arc = [0, 1, 2, 3].map((i) => [op, ...new Array(i).fill(bit)].join(' ')).join(' ');
        await search.childStep(parseMacroArchitecture(arc));
      }
    }
    for (let s = 0; s < 3; s++) await search.childStep();
    await ctx.sync();
    const before = { ...ctx.stats };
    const batchBytes = 4 * (4 * 3 * 8 * 8) + 4 * 4; // images + labels
    const arcs = new Set<string>();
    for (let s = 0; s < 100; s++) arcs.add((await search.childStep()).arc);
    expect(arcs.size).toBeGreaterThan(50);
    expect(ctx.stats.bytesWritten - before.bytesWritten).toBe(100 * batchBytes);
    expect(ctx.stats.bytesCopied - before.bytesCopied).toBe(0);
    // What crossed back: 100 sampled architectures (10 words each) and the loss and accuracy readouts.
    expect(ctx.stats.bytesRead - before.bytesRead).toBe(100 * (10 * 4 + 4 + 4));
    engine.destroy();
  });
});

describe('macro search checkpoint', () => {
  it('samples the next architecture ahead within an epoch, not after its last child step, nor when told not to', async () => {
    const engine = new Engine(ctx, { seed: 5 });
    const search = new CnnSearch(engine, createMacroSpace(engine, tinySpace), data, tinySearch); // 3 steps per epoch
    await search.childStep();
    expect(await search.pendingArchitectureWords()).toBeDefined();
    await search.childStep();
    await search.childStep();
    expect(await search.pendingArchitectureWords()).toBeUndefined();
    engine.destroy();

    const other = new Engine(ctx, { seed: 5 });
    const plain = new CnnSearch(other, createMacroSpace(other, tinySpace), data, { ...tinySearch, sampleAhead: false });
    await plain.childStep();
    expect(await plain.pendingArchitectureWords()).toBeUndefined();
    other.destroy();
  });

  it('a checkpoint taken while the next architecture is already sampled continues exactly', async () => {
    // Three child steps from step 1: the sampled-ahead architecture, then one more, then a fresh sample across
    // the epoch boundary (3 steps per epoch; nothing is sampled ahead of an epoch's last child step).
    const continueFor = async (search: CnnSearch<MacroArchitecture>) => {
      const out: (string | number)[] = [];
      for (let s = 0; s < 3; s++) {
        const r = await search.childStep();
        out.push(r.arc, r.loss);
      }
      return out;
    };
    const a = new Engine(ctx, { seed: 3 });
    const first = new CnnSearch(a, createMacroSpace(a, tinySpace), data, tinySearch);
    await first.childStep();
    const saved = await captureSearch(first, { epoch: 0, phase: 'child', childStep: 1, controllerStep: 0 });
    expect(saved.meta.nextArchitectureWords?.length).toBeGreaterThan(0);
    const expected = await continueFor(first);
    a.destroy();

    const b = new Engine(ctx, { seed: 99 });
    const resumed = new CnnSearch(b, createMacroSpace(b, tinySpace), data, tinySearch);
    restoreSearch(resumed, new Map([...saved.tensors].map(([k, v]) => [k, v.data])), saved.meta);
    expect(await continueFor(resumed)).toEqual(expected);
    b.destroy();
  });

  it('a search restored from a checkpoint continues exactly as the uninterrupted one', async () => {
    const continueFor = async (search: CnnSearch<MacroArchitecture>) => {
      const out: (string | number)[] = [];
      for (let s = 0; s < 2; s++) {
        const r = await search.childStep();
        out.push(r.arc, r.loss);
      }
      const c = await search.controllerStep();
      out.push(...c.arcs, c.reward, c.baseline);
      out.push((await search.childStep()).arc); // sampled by the updated controller
      return out;
    };
    const a = new Engine(ctx, { seed: 3 });
    const first = new CnnSearch(a, createMacroSpace(a, tinySpace), data, tinySearch);
    for (let s = 0; s < 2; s++) await first.childStep();
    await first.controllerStep();
    const saved = await captureSearch(first, { epoch: 0, phase: 'child', childStep: 2, controllerStep: 1 });
    const expected = await continueFor(first);
    a.destroy();

    const b = new Engine(ctx, { seed: 99 });
    const resumed = new CnnSearch(b, createMacroSpace(b, tinySpace), data, tinySearch);
    restoreSearch(resumed, new Map([...saved.tensors].map(([k, v]) => [k, v.data])), saved.meta);
    expect(await continueFor(resumed)).toEqual(expected);
    b.destroy();
  });
});
