import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { downloadU32, poisonedU32, runOnGpu, testContext, uploadU32 } from '../../testing/index.js';
import { packStrided } from './pack-strided.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('packStrided', () => {
  it.each([
    [1, 1],
    [7, 4],
    [130, 64],
  ])('packs %i words at stride %i, bit for bit', async (n, stride) => {
    const x = Array.from({ length: (n - 1) * stride + 1 }, (_, i) => (i % stride === 0 ? 0x3f800000 + i : 0xdeadbeef));
    const y = poisonedU32(ctx, n);
    await runOnGpu(ctx, (rec) => packStrided(rec, { x: uploadU32(ctx, x), y }, n, stride));
    expect(Array.from(await downloadU32(ctx, y, n))).toEqual(Array.from({ length: n }, (_, i) => 0x3f800000 + i * stride));
  });

  it('rejects a source too short for the stride', async () => {
    await expect(runOnGpu(ctx, (rec) => packStrided(rec, { x: uploadU32(ctx, [1, 2]), y: poisonedU32(ctx, 2) }, 2, 4))).rejects.toThrow(
      /x holds 2 words; 2 values at stride 4 need 5/,
    );
  });
});
