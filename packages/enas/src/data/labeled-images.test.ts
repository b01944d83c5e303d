import { Rng } from '@enas-webgpu/wgsl-kernels/testing';
import { describe, expect, it } from 'vitest';
import { channelStatistics, epochBatches, type LabeledImages, makeImageBatch, sliceImages, splitValidation } from './labeled-images.js';

function randomImages(rng: Rng, count: number, channels: number, height: number, width: number): LabeledImages {
  const pixels = new Uint8Array(count * channels * height * width);
  // Channel-dependent ranges so that means and stds differ per channel.
  for (let i = 0; i < pixels.length; i++) {
    const c = Math.floor(i / (height * width)) % channels;
    pixels[i] = rng.int(c * 40, 255 - c * 30);
  }
  const labels = Uint8Array.from({ length: count }, () => rng.int(0, 9));
  return { count, channels, height, width, labels, pixels };
}

describe('labeled images', () => {
  it('computes per-channel mean and population std of pixel/255 in float64', () => {
    const images = randomImages(new Rng(5), 7, 3, 5, 3);
    const stats = channelStatistics(images);
    for (let c = 0; c < 3; c++) {
      const values: number[] = [];
      for (let i = 0; i < 7; i++) for (let p = 0; p < 15; p++) values.push(images.pixels[(i * 3 + c) * 15 + p]! / 255);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
      expect(stats.mean[c]).toBeCloseTo(mean, 12);
      expect(stats.std[c]).toBeCloseTo(std, 12);
    }
    expect(stats.mean[0]).not.toBeCloseTo(stats.mean[2]!, 2);
  });

  it('gathers a normalised NCHW batch with labels', () => {
    const images = randomImages(new Rng(9), 6, 3, 4, 5);
    const norm = { mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };
    const indices = [5, 0, 5, 2];
    const batch = makeImageBatch(images, indices, norm);
    expect(batch.shape).toEqual([4, 3, 4, 5]);
    expect([...batch.labels]).toEqual(indices.map((i) => images.labels[i]!));
    indices.forEach((i, k) => {
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 20; p++) {
          const expected = (images.pixels[(i * 3 + c) * 20 + p]! / 255 - norm.mean[c]!) / norm.std[c]!;
          const got = batch.x[(k * 3 + c) * 20 + p]!;
          expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
        }
      }
    });
  });

  it('rejects bad indices and degenerate normalisation', () => {
    const images = randomImages(new Rng(1), 3, 1, 2, 2);
    const norm = { mean: [0.5], std: [0.2] };
    expect(() => makeImageBatch(images, [0, 3], norm)).toThrow('makeImageBatch: index 3 (batch position 1) is outside 0..2');
    expect(() => makeImageBatch(images, [0], { mean: [0.5, 0.5], std: [0.2, 0.2] })).toThrow('2 means and 2 stds for 1-channel images');
    expect(() => makeImageBatch(images, [0], { mean: [0.5], std: [0] })).toThrow('std of channel 0 is 0');
  });

  it('slices and splits without copying', () => {
    const images = randomImages(new Rng(2), 10, 2, 3, 3);
    const { train, valid } = splitValidation(images, 4);
    expect(train.count).toBe(6);
    expect(valid.count).toBe(4);
    expect(valid.labels[0]).toBe(images.labels[6]);
    expect(valid.pixels[0]).toBe(images.pixels[6 * 18]);
    expect(valid.pixels.buffer).toBe(images.pixels.buffer);
    expect(() => splitValidation(images, 10)).toThrow('validation size 10 must be an integer in 0..9');
    expect(() => sliceImages(images, 4, 11)).toThrow('[4, 11) is not a range of the 10 images');
  });

  it('covers every index exactly once per epoch', () => {
    const rng = new Rng(4);
    const batches = epochBatches(23, 5, { random: () => rng.next() });
    expect(batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    const seen = batches.flatMap((b) => [...b]).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(batches.flatMap((b) => [...b])).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(epochBatches(23, 5, { dropRemainder: true }).map((b) => b[0])).toEqual([0, 5, 10, 15]);
    expect(() => epochBatches(3, 0)).toThrow('batch size 0 must be a positive integer');
  });
});
