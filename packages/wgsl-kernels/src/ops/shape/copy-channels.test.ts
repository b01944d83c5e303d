import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { type BufferSlice, subSlice } from '../../kernel/slice.js';
import { dot, download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { type ConcatChannelsShape, type CopyChannelsShape, concatChannels, copyChannels, splitChannels } from './copy-channels.js';
import { concatChannelsRef, copyChannelsRef, splitChannelsRef } from './copy-channels.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(9001);
const partSize = (s: ConcatChannelsShape, c: number) => s.N * c * s.H * s.W;
const totalChannels = (s: ConcatChannelsShape) => s.channels.reduce((a, b) => a + b, 0);

const concatShapes: ConcatChannelsShape[] = [
  { N: 2, H: 3, W: 5, channels: [1, 3, 2] },
  { N: 1, H: 1, W: 1, channels: [2] },
  { N: 3, H: 2, W: 1, channels: [4, 1] },
  { N: rng.int(1, 3), H: rng.int(1, 6), W: rng.int(1, 6), channels: [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4)] },
];

describe('concatChannels and splitChannels', () => {
  it.each(concatShapes)('concat (plain and accumulating) and split (per-part accumulate) match float64 on %o', async (shape) => {
    const total = partSize(shape, totalChannels(shape));
    const xs = shape.channels.map((c) => rng.f32(partSize(shape, c)));
    const priorY = rng.f32(total);
    const [y, yAcc] = [poisoned(ctx, total), upload(ctx, priorY)];
    const dy = rng.f32(total);
    // Every other part accumulates into a prior gradient; the rest are overwritten (poisoned first).
    const accumulate = shape.channels.map((_, i) => i % 2 === 0);
    const priors = shape.channels.map((c) => rng.f32(partSize(shape, c)));
    const dxs = shape.channels.map((c, i) => (accumulate[i] ? upload(ctx, priors[i] as Float32Array) : poisoned(ctx, partSize(shape, c))));
    await runOnGpu(ctx, (rec) => {
      const xSlices = xs.map((x) => upload(ctx, x));
      concatChannels(rec, { xs: xSlices, y }, shape);
      concatChannels(rec, { xs: xSlices, y: yAcc }, shape, true);
      splitChannels(rec, { dy: upload(ctx, dy), dxs }, shape, accumulate);
    });
    const yRef = concatChannelsRef(xs, shape);
    expectClose(await download(ctx, y, total), yRef, { rtol: 0, label: 'concat' });
    expectClose(
      await download(ctx, yAcc, total),
      yRef.map((v, i) => v + (priorY[i] as number)),
      { label: 'concat accumulate' },
    );
    const parts = splitChannelsRef(dy, shape);
    for (const [i, part] of parts.entries()) {
      const prior = priors[i] as Float32Array;
      const expected = accumulate[i] ? part.map((v, j) => v + (prior[j] as number)) : part;
      expectClose(await download(ctx, dxs[i] as BufferSlice, part.length), expected, { label: `split part ${i}` });
    }
  });

  it('works on parts and output that are slices of one arena buffer', async () => {
    const shape = { N: 2, H: 2, W: 3, channels: [2, 1] };
    const align = ctx.limits.minStorageBufferOffsetAlignment;
    const at = (i: number) => i * Math.ceil(200 / align) * align; // three 200-byte-or-more aligned regions
    const arenaData = rng.f32(at(3) / 4);
    const arena = upload(ctx, arenaData);
    const x0 = subSlice(arena, at(0), partSize(shape, 2) * 4);
    const x1 = subSlice(arena, at(1), partSize(shape, 1) * 4);
    const y = subSlice(arena, at(2), partSize(shape, 3) * 4);
    await runOnGpu(ctx, (rec) => concatChannels(rec, { xs: [x0, x1], y }, shape));
    const part = (s: BufferSlice) => arenaData.subarray(s.offset / 4, (s.offset + s.size) / 4);
    expectClose(
      (await download(ctx, arena)).subarray(y.offset / 4, (y.offset + y.size) / 4),
      concatChannelsRef([part(x0), part(x1)], shape),
      {
        rtol: 0,
        label: 'concat inside an arena',
      },
    );
  });

  it('split is the gradient of concat (finite differences of the reference)', () => {
    const shape = { N: 2, H: 2, W: 2, channels: [1, 2] };
    const xs = shape.channels.map((c) => Float64Array.from(rng.f32(partSize(shape, c))));
    const dy = Float64Array.from(rng.f32(partSize(shape, 3)));
    const grads = splitChannelsRef(dy, shape);
    xs.forEach((x, i) => {
      const loss = (v: Float64Array) =>
        dot(
          concatChannelsRef(
            xs.map((other, j) => (j === i ? v : other)),
            shape,
          ),
          dy,
        );
      expectClose(grads[i] as Float64Array, finiteDifferences(loss, x), { rtol: 1e-6, label: `part ${i} finite differences` });
    });
  });
});

describe('copyChannels', () => {
  it('copies a channel block between offsets, leaving other channels alone (plain and accumulating)', async () => {
    const shape: CopyChannelsShape = { N: 2, H: 3, W: 2, srcChannels: 5, srcOffset: 1, dstChannels: 4, dstOffset: 2, channels: 2 };
    const src = rng.f32(2 * 5 * 6);
    const prior = rng.f32(2 * 4 * 6);
    const [dst, dstAcc] = [upload(ctx, prior), upload(ctx, prior)];
    await runOnGpu(ctx, (rec) => {
      copyChannels(rec, { src: upload(ctx, src), dst }, shape);
      copyChannels(rec, { src: upload(ctx, src), dst: dstAcc }, shape, true);
    });
    expectClose(await download(ctx, dst, prior.length), copyChannelsRef(src, prior, shape), { rtol: 0, label: 'copy' });
    expectClose(await download(ctx, dstAcc, prior.length), copyChannelsRef(src, prior, shape, true), { label: 'copy accumulate' });
  });

  it('rejects bad input with a message naming the function and the problem, recording nothing', () => {
    const rec = new Recorder(ctx, 'bad input');
    const shape: CopyChannelsShape = { N: 1, H: 2, W: 2, srcChannels: 3, srcOffset: 0, dstChannels: 4, dstOffset: 1, channels: 3 };
    const src = poisoned(ctx, 12);
    const dst = poisoned(ctx, 16);
    expect(() => copyChannels(rec, { src, dst }, { ...shape, dstOffset: 2 })).toThrow(
      /copyChannels: channels \[2, 5\) are outside the dst tensor's 4 channels; the dstOffset must be an integer in \[0, 1\]/,
    );
    expect(() => copyChannels(rec, { src, dst }, { ...shape, channels: 5 })).toThrow(
      /copyChannels: copies 5 channels but the src tensor has only 3/,
    );
    expect(() => copyChannels(rec, { src: poisoned(ctx, 11), dst }, shape)).toThrow(
      /copyChannels: operand 'src' holds 11 elements .* needs 12/,
    );
    expect(() => copyChannels(rec, { src, dst: poisoned(ctx, 15) }, shape)).toThrow(/copyChannels: operand 'dst' holds 15/);
    expect(() => copyChannels(rec, { src, dst }, { ...shape, H: 0 })).toThrow(/copyChannels: H = 0/);
    const arena = poisoned(ctx, 64);
    expect(() => copyChannels(rec, { src: subSlice(arena, 0, 48), dst: subSlice(arena, 32, 64) }, shape)).toThrow(
      /copyChannels: operands 'src' and 'dst' overlap/,
    );

    const concat = { N: 1, H: 2, W: 2, channels: [1, 2] };
    expect(() => concatChannels(rec, { xs: [poisoned(ctx, 4)], y: poisoned(ctx, 12) }, concat)).toThrow(
      /concatChannels: 1 tensors for 2 channel counts/,
    );
    // The second part is too small: the first part must not have been recorded either.
    expect(() => concatChannels(rec, { xs: [poisoned(ctx, 4), poisoned(ctx, 7)], y: poisoned(ctx, 12) }, concat)).toThrow(
      /concatChannels \(part 1\): operand 'src' holds 7 elements .* needs 8/,
    );
    expect(() => splitChannels(rec, { dy: poisoned(ctx, 12), dxs: [poisoned(ctx, 4), poisoned(ctx, 8)] }, concat, [true])).toThrow(
      /splitChannels: 1 accumulate flags for 2 parts/,
    );
    expect(() => splitChannels(rec, { dy: poisoned(ctx, 11), dxs: [poisoned(ctx, 4), poisoned(ctx, 8)] }, concat)).toThrow(
      /splitChannels \(part 0\): operand 'src' holds 11/,
    );
    expect(rec.dispatchCount).toBe(0);
  });
});
