import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { downloadU32, poisonedU32, Rng, runOnGpu, testContext, uploadU32 } from '../../testing/index.js';
import { packIndexed } from './pack-indexed.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(818);

describe('packIndexed', () => {
  it.each([1, 7, 78, 130])('packs %i words by an index table, bit for bit, repeats allowed', async (n) => {
    const words = 2 * n + 3;
    // f32 bit patterns, denormals and NaNs included: the copy must not touch the bits.
    const x = Array.from({ length: words }, (_, i) => (i % 3 === 0 ? 0x7fc00000 + i : i % 3 === 1 ? 0x3f800000 + i : i));
    const index = Array.from({ length: n }, () => rng.int(0, words - 1));
    const y = poisonedU32(ctx, n);
    await runOnGpu(ctx, (rec) => packIndexed(rec, { x: uploadU32(ctx, x), index: uploadU32(ctx, index), y }, n));
    expect(Array.from(await downloadU32(ctx, y, n))).toEqual(index.map((k) => x[k]));
  });

  it('writes 0xffffffff for an index past the end of x', async () => {
    const y = uploadU32(ctx, [9, 9, 9]); // not the sentinel, so an unwritten word would show
    await runOnGpu(ctx, (rec) => packIndexed(rec, { x: uploadU32(ctx, [5, 6]), index: uploadU32(ctx, [1, 2, 0]), y }, 3));
    expect(Array.from(await downloadU32(ctx, y, 3))).toEqual([6, 0xffffffff, 5]);
  });

  it('rejects an index table or output too short', async () => {
    const x = uploadU32(ctx, [1, 2, 3, 4]);
    await expect(runOnGpu(ctx, (rec) => packIndexed(rec, { x, index: uploadU32(ctx, [0, 1]), y: poisonedU32(ctx, 4) }, 4))).rejects.toThrow(
      /packIndexed: index holds 2 words; needs 4/,
    );
    await expect(runOnGpu(ctx, (rec) => packIndexed(rec, { x, index: uploadU32(ctx, [0, 1]), y: poisonedU32(ctx, 1) }, 2))).rejects.toThrow(
      /packIndexed: y holds 1 words; needs 2/,
    );
  });
});
