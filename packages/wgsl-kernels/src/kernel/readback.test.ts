import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../device/context.js';
import { testContext, uploadU32 } from '../testing/index.js';
import { ReadbackRing } from './readback.js';
import { Recorder } from './recorder.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('ReadbackRing', () => {
  it('reads small and large slices after the submit, and reuses staging buffers of each size', async () => {
    const ring = new ReadbackRing(ctx, 256);
    const small = Array.from({ length: 3 }, (_, i) => 7 + i);
    const large = Array.from({ length: 300 }, (_, i) => 1000 + i); // 1200 bytes, past the 256-byte buffers // 1200 bytes: a 512-byte... 2048-byte staging buffer
    const round = async () => {
      const rec = new Recorder(ctx, 'readback');
      const a = ring.enqueue(rec, uploadU32(ctx, small));
      const b = ring.enqueue(rec, uploadU32(ctx, large));
      rec.submit();
      ring.flush();
      expect(Array.from(new Uint32Array(await a))).toEqual(small);
      expect(Array.from(new Uint32Array(await b))).toEqual(large);
    };
    await round();
    expect(ring.buffersCreated).toBe(2);
    await round();
    expect(ring.buffersCreated).toBe(2);
    ring.destroy();
  });
});
