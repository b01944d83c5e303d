import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMicroArchitecture, validateMicroArchitecture } from '../arch/micro.js';
import type { ImageDataset, LabeledImages } from '../data/labeled-images.js';
import { createMicroSpace, type MicroSpaceOptions } from '../micro/space.js';
import { CnnSearch, type CnnSearchOptions } from './cnn-search.js';

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

const tinySpace: MicroSpaceOptions = {
  child: { layers: 3, nodes: 2, filters: 4, inputChannels: 3, imageSize: 8, classes: 3, keepProb: 0.9, auxHead: false },
  controller: { lstmSize: 16 },
  seed: 7,
};

const tinySearch: CnnSearchOptions = {
  batchSize: 4,
  lr: { lrMax: 0.05, lrMin: 0.0005, t0: 10, tMul: 2 },
  momentum: 0.9,
  l2: 1e-4,
  auxWeight: 0.4,
  childStepsPerEpoch: 3,
  controllerSteps: 1,
  aggregate: 2,
  controllerLr: 0.0035,
  entropyWeight: 1e-4,
  baselineDecay: 0.99,
  augment: { pad: 2, flip: true, cutout: 0 },
  seed: 7,
};

describe('micro search', () => {
  it('runs child steps and controller updates on sampled architectures, and derives a valid one', async () => {
    const engine = new Engine(ctx, { seed: 1 });
    const search = new CnnSearch(engine, createMicroSpace(engine, tinySpace), data, tinySearch);
    for (let s = 0; s < 3; s++) {
      const r = await search.childStep();
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      validateMicroArchitecture(parseMicroArchitecture(r.arc));
    }
    const c = await search.controllerStep();
    expect(c.arcs).toHaveLength(2);
    expect(c.entropy).toBeGreaterThan(0);
    expect(Number.isFinite(c.reward)).toBe(true);
    const best = await search.derive(3);
    validateMicroArchitecture(best.arch);
    expect(best.accuracy).toBeGreaterThanOrEqual(0);
    engine.destroy();
  });

  it('switching architectures writes and copies nothing but the data batch (100 switches)', async () => {
    const engine = new Engine(ctx, { seed: 2 });
    const search = new CnnSearch(engine, createMicroSpace(engine, tinySpace), data, { ...tinySearch, childStepsPerEpoch: 1000 });
    // Warm-up: every op at every position once, so every uniform record (shapes) exists.
    for (const op of [0, 1, 2, 3, 4]) {
      const cell = Array.from({ length: 2 }, (_, j) => `0 ${op} ${j + 1} ${op}`).join(' ');
      await search.childStep(parseMicroArchitecture(`${cell} ${cell}`));
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
    // What crossed back: 100 sampled architectures (8 words each) and the loss and accuracy readouts.
    expect(ctx.stats.bytesRead - before.bytesRead).toBe(100 * (16 * 4 + 4 + 4));
    engine.destroy();
  });
});
