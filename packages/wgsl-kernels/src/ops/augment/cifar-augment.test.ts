import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { createRngState, rngStateWords } from '../random/rng-state.js';
import { type AugmentShape, type CifarAugmentOptions, cifarAugment } from './cifar-augment.js';
import { augmentDrawsRef, cifarAugmentRef } from './cifar-augment.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(3232);

async function augmentOnGpu(x: Float32Array, s: AugmentShape, seed: number, options: CifarAugmentOptions): Promise<Float32Array> {
  const n = s.N * s.C * s.H * s.W;
  const y = poisoned(ctx, n);
  await runOnGpu(ctx, (rec) => cifarAugment(rec, { rng: createRngState(ctx, seed), x: upload(ctx, x), y }, s, options));
  return Float32Array.from(await download(ctx, y, n));
}

describe('cifarAugment', () => {
  const cases: [AugmentShape, CifarAugmentOptions][] = [
    [{ N: 1, C: 1, H: 1, W: 1 }, { stream: 0 }],
    [{ N: 4, C: 3, H: 8, W: 8 }, { stream: 1 }],
    [
      { N: 3, C: 2, H: 5, W: 7 },
      { stream: 2, pad: 2, cutoutSize: 3 },
    ],
    [
      { N: 5, C: 1, H: 9, W: 6 },
      { stream: 3, cutoutSize: 4, cutoutPlacement: 'centre' },
    ],
    [
      { N: 2, C: 3, H: 32, W: 32 },
      { stream: 4, cutoutSize: 16 },
    ],
    [
      { N: 3, C: 2, H: 6, W: 6 },
      { stream: 5, flip: false, pad: 0, cutoutSize: 5, cutoutPlacement: 'centre' },
    ],
  ];
  it.each(cases)('equals the reference bit for bit on %o with %o', async (s, options) => {
    const x = rng.f32(s.N * s.C * s.H * s.W, 0.5, 2);
    const seed = rng.int(0, 1e6);
    const got = await augmentOnGpu(x, s, seed, options);
    // Outputs are copies or zeros: no arithmetic, so equality is exact.
    expect(Array.from(got)).toEqual(Array.from(cifarAugmentRef(x, rngStateWords(seed), s, options)));
  });

  it('flip rate and crop offsets decoded from GPU outputs have the right distribution (2048 images, 5 sd)', async () => {
    const s = { N: 2048, C: 1, H: 10, W: 10 };
    const plane = s.H * s.W;
    // Pixel (i, j) of every image holds 1 + i·W + j, so any surviving pixel says where it came from.
    const x = new Float32Array(s.N * plane);
    for (let k = 0; k < x.length; k++) x[k] = 1 + (k % plane);
    const options = { stream: 7 };
    const got = await augmentOnGpu(x, s, 2718, options);
    const draws = augmentDrawsRef(rngStateWords(2718), s, options);
    let flips = 0;
    const oyCounts = new Array(9).fill(0);
    const oxCounts = new Array(9).fill(0);
    for (let n = 0; n < s.N; n++) {
      // On a 10×10 image, whatever the offsets in [0, 8], output pixels (4, 4) and (4, 5) come from the image.
      const src = (i: number, j: number) => (got[n * plane + i * s.W + j] as number) - 1;
      const [a, b] = [src(4, 4), src(4, 5)];
      expect(a).toBeGreaterThanOrEqual(0);
      expect(b).toBeGreaterThanOrEqual(0);
      const flipped = b % s.W < a % s.W;
      const oy = Math.floor(a / s.W) - 4 + 4;
      const ox = (a % s.W) - (flipped ? s.W - 1 - 4 : 4) + 4;
      expect({ oy, ox, flip: flipped }).toEqual({ oy: draws[n]?.oy, ox: draws[n]?.ox, flip: draws[n]?.flip });
      flips += flipped ? 1 : 0;
      oyCounts[oy] += 1;
      oxCounts[ox] += 1;
    }
    expect(Math.abs(flips / s.N - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / s.N));
    const p = 1 / 9;
    for (const counts of [oyCounts, oxCounts]) {
      for (const count of counts) expect(Math.abs(count / s.N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / s.N));
    }
  });

  it('works with the RNG state, input and output in one arena buffer', async () => {
    const s = { N: 2, C: 3, H: 6, W: 5 };
    const x = rng.f32(180);
    const state = rngStateWords(77);
    const options = { stream: 9, cutoutSize: 2 };
    const a = arenaOf(ctx, { rng: state, x, y: new Float32Array(180).fill(Number.NaN) });
    await runOnGpu(ctx, (rec) => cifarAugment(rec, { rng: a.slices.rng, x: a.slices.x, y: a.slices.y }, s, options));
    expect(Array.from(await a.readF32('y'))).toEqual(Array.from(cifarAugmentRef(x, state, s, options)));
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const r = createRngState(ctx, 1);
    const x = upload(ctx, new Float32Array(16));
    const y = upload(ctx, new Float32Array(16));
    const s = { N: 1, C: 1, H: 4, W: 4 };
    expect(() => cifarAugment(rec, { rng: r, x, y: x }, s, { stream: 0 })).toThrow(/cifarAugment: x and y overlap/);
    expect(() => cifarAugment(rec, { rng: r, x, y }, { ...s, N: 2 }, { stream: 0 })).toThrow(
      /cifarAugment: x holds 16 floats but \[N=2, C=1, H=4, W=4\] needs 32/,
    );
    expect(() => cifarAugment(rec, { rng: r, x, y }, s, { stream: 0, pad: -1 })).toThrow(/cifarAugment: pad = -1/);
    expect(() => cifarAugment(rec, { rng: r, x, y }, s, { stream: 0, cutoutSize: 2.5 })).toThrow(/cifarAugment: cutoutSize = 2.5/);
    expect(() => cifarAugment(rec, { rng: r, x, y }, s, { stream: 0, cutoutPlacement: 'center' as 'centre' })).toThrow(
      /cifarAugment: cutoutPlacement 'center'/,
    );
    expect(() => cifarAugment(rec, { rng: r, x, y }, { ...s, W: 0 }, { stream: 0 })).toThrow(/cifarAugment: W = 0/);
  });
});
