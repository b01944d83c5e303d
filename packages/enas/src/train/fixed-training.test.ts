import { Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMacroArchitecture } from '../arch/macro.js';
import { parseMicroArchitecture } from '../arch/micro.js';
import { PUBLISHED_MICRO_ARC } from '../arch/published.js';
import type { ImageDataset, LabeledImages } from '../data/labeled-images.js';
import { type FixedStepRecord, FixedTraining } from './fixed-training.js';
import { NO_AUGMENT, uploadImageBatch } from './image-upload.js';
import { type FixedPlan, planFixedTraining } from './presets.js';
import { captureTraining, restoreTraining } from './train-checkpoint.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

/** Three classes told apart by brightness, with noise. */
function images(count: number, seed: number, size: number): LabeledImages {
  const r = new Rng(seed);
  const plane = 3 * size * size;
  const pixels = new Uint8Array(count * plane);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let p = 0; p < plane; p++) pixels[i * plane + p] = Math.min(255, r.int(0, 120) + label * 60);
  }
  return { count, channels: 3, height: size, width: size, labels, pixels };
}

const SIZE = 20; // the aux head needs 5×5 features after two halvings
const data: ImageDataset = { name: 'toy', classes: ['a', 'b', 'c'], train: images(16, 1, SIZE), valid: null, test: images(10, 2, SIZE) };
const image = { channels: 3, size: SIZE, classes: 3 };
const TINY_MICRO_ARC = '1 0 1 4 2 2 1 3 2 1 3 4 1 4 1 1 1 3 2 0 1 2 3 4';
const TINY_MACRO_ARC = '0 1 1 2 0 1 3 1 0 1 4 0 1 1 0 5 1 0 0 1 1';

function plan(arc: string, space: 'micro' | 'macro', epochs: number): FixedPlan {
  const arch = space === 'micro' ? parseMicroArchitecture(arc) : parseMacroArchitecture(arc);
  return planFixedTraining({
    preset: 'tiny',
    arch,
    image,
    network: { filters: 4 },
    training: { batchSize: 8, epochs, augment: NO_AUGMENT, lr: { lrMax: 0.05, lrMin: 0.01, t0: 10, tMul: 2 } },
  });
}

async function run(t: FixedTraining, steps: number): Promise<FixedStepRecord[]> {
  const records: FixedStepRecord[] = [];
  for (let i = 0; i < steps; i++) records.push(await t.trainStep());
  return records;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('FixedTraining', () => {
  for (const [space, arc] of [
    ['micro', TINY_MICRO_ARC],
    ['macro', TINY_MACRO_ARC],
  ] as const) {
    it(`trains a tiny ${space} network: finite losses that fall, epochs, SGDR, aux loss; evaluates the test split`, async () => {
      const engine = new Engine(ctx, { seed: 3 });
      const p = plan(arc, space, 8);
      const t = new FixedTraining(engine, p.spec, data, p.training);
      expect(t.stepsPerEpoch).toBe(2);
      expect(t.totalSteps).toBe(16);
      const records = await run(t, 16);
      for (const r of records) {
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(Number.isFinite(r.auxLoss as number)).toBe(true);
      }
      expect(records.map((r) => r.epoch)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
      expect(records.filter((r) => r.epochEnd).map((r) => r.step)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
      expect(records[0]?.lr).toBe(0.05);
      expect(records[15]?.lr).toBeLessThan(records[0]?.lr as number);
      // Drop-path (micro): the last cell's keep falls from near 1 towards p = 0.8 as training proceeds.
      if (space === 'micro') expect((records[15] as FixedStepRecord).dropPathKeep).toBeLessThan(records[0]?.dropPathKeep as number);
      else expect(records.every((r) => r.dropPathKeep === 1)).toBe(true);
      const first = mean(records.slice(0, 4).map((r) => r.loss));
      const last = mean(records.slice(12).map((r) => r.loss));
      expect(last).toBeLessThan(0.8 * first);
      expect(t.done).toBe(true);
      expect(() => t.trainStep()).toThrow(/the run is complete \(8 epochs, 16 steps\)/);
      const test = await t.evaluate('test');
      expect(test.count).toBe(10);
      expect(test.accuracy).toBe(test.correct / 10);
      expect(Number.isInteger(test.correct)).toBe(true);
      await expect(t.evaluate('valid')).rejects.toThrow(/has no 'valid' split/);
      engine.destroy();
    });
  }

  it('resumes from its checkpoint state exactly: same batches, same random numbers, same losses', async () => {
    const p = planFixedTraining({
      preset: 'tiny',
      arch: parseMicroArchitecture(TINY_MICRO_ARC),
      image,
      network: { filters: 4 },
      training: { batchSize: 8, epochs: 3 },
    });
    const a = new Engine(ctx, { seed: 4 });
    const first = new FixedTraining(a, p.spec, data, p.training);
    await run(first, 3);
    const saved = await captureTraining(first, { note: 'kept' });
    const names = [...saved.tensors.keys()];
    expect(names.filter((k) => k.startsWith('optimizer/momentum/')).length).toBe(first.network.params.slotCount);
    expect(names).toContain('running/stem/bn/moving_mean');
    expect(saved.tensors.get('fixed/fc/w')?.shape).toEqual(first.network.params.slot('fc/w').shape);
    const continued = (await run(first, 2)).map((r) => r.loss);

    // As the CLI does it: the metadata through JSON, the tensors as raw arrays.
    const meta = JSON.parse(JSON.stringify(saved.meta));
    const tensors = new Map([...saved.tensors].map(([k, v]) => [k, v.data]));
    const b = new Engine(ctx, { seed: 99 });
    const resumed = new FixedTraining(b, p.spec, data, { ...p.training, seed: 123 });
    restoreTraining(resumed, tensors, meta);
    expect(resumed.steps).toBe(3);
    expect((await run(resumed, 2)).map((r) => r.loss)).toEqual(continued);
    expect(() => restoreTraining(resumed, tensors, { ...meta, steps: 1000 })).toThrow(/checkpoint is at step 1000; this run has 6 steps/);
    expect(() => restoreTraining(resumed, tensors, { ...meta, arc: '0 0 0 0' })).toThrow(
      /the checkpoint trains the micro architecture '0 0 0 0'/,
    );
    const wrong = new Map(tensors);
    wrong.delete('fixed/fc/w');
    expect(() => restoreTraining(resumed, wrong, meta)).toThrow(/no tensor 'fixed\/fc\/w' in the checkpoint/);
    a.destroy();
    b.destroy();
  });

  it('cutout zeroes a 16×16 square at a uniform corner, clipped: the masked fraction matches its expectation', async () => {
    const engine = new Engine(ctx, { seed: 6 });
    const N = 256;
    const H = 32;
    const ones = new Float32Array(N * H * H).fill(1);
    const step = engine.beginStep('cutout');
    const { x } = uploadImageBatch(
      engine,
      { x: ones, labels: new Int32Array(N), shape: [N, 1, H, H] },
      { pad: 0, flip: false, cutout: 16 },
    );
    step.submit();
    const y = await download(ctx, x.data, x.size);
    // Per image: the square covers min(16, 32 − r) × min(16, 32 − c) pixels, r and c uniform in 0..31.
    const side = Array.from({ length: H }, (_, r) => Math.min(16, H - r));
    const e1 = mean(side) / H;
    const e2 = mean(side.map((s) => s * s)) / (H * H);
    const expected = e1 * e1;
    const sd = Math.sqrt((e2 * e2 - expected * expected) / N);
    let masked = 0;
    for (let n = 0; n < N; n++) {
      const img = y.subarray(n * H * H, (n + 1) * H * H);
      const zeros = img.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
      // One clipped square: its rows and columns are contiguous, with a 16-pixel side unless clipped.
      const rows = new Set<number>();
      const cols = new Set<number>();
      img.forEach((v, i) => {
        if (v === 0) {
          rows.add(Math.floor(i / H));
          cols.add(i % H);
        }
      });
      expect(zeros).toBe(rows.size * cols.size);
      expect(rows.size === 16 || Math.max(...rows) === H - 1).toBe(true);
      masked += zeros / (H * H);
    }
    expect(Math.abs(masked / N - expected)).toBeLessThan(4 * sd);
    engine.destroy();
  });

  it('explains a preset, an arc or a dataset that do not fit', () => {
    const micro = parseMicroArchitecture(PUBLISHED_MICRO_ARC);
    expect(() => planFixedTraining({ preset: 'paper-macro-final', arch: micro, image })).toThrow(
      /preset 'paper-macro-final' does not train the micro space.*--preset paper-micro-final or tiny/,
    );
    expect(() => planFixedTraining({ preset: 'paper-micro-final', arch: parseMicroArchitecture(TINY_MICRO_ARC), image })).toThrow(
      /trains cells of 5 nodes \(--child_num_cells=5\), and the arc has 3 per cell \(24 integers\)/,
    );
    expect(() => planFixedTraining({ preset: 'paper-macro-final', arch: parseMacroArchitecture(TINY_MACRO_ARC), image })).toThrow(
      /requires a 24-layer macro arc \(300 integers\), and the arc has 6 layers \(21 integers\)/,
    );
    expect(() => planFixedTraining({ preset: 'huge' as 'tiny', arch: micro, image })).toThrow(/unknown training preset 'huge'/);
    const paper = planFixedTraining({ preset: 'paper-micro-final', arch: micro, image: { channels: 3, size: 32, classes: 10 } });
    expect(paper.spec.config).toMatchObject({ layers: 15, filters: 36, keepProb: 0.8, dropPathKeep: 0.6, auxHead: true });
    expect(paper.training).toMatchObject({ batchSize: 144, epochs: 630, l2: 2e-4, augment: { cutout: 16 } });
    const engine = new Engine(ctx, { seed: 1 });
    expect(() => new FixedTraining(engine, paper.spec, data, paper.training)).toThrow(
      /toy images are 3×20×20, the network expects 3×32×32/,
    );
    engine.destroy();
  });
});
