import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload, uploadU32 } from '../../testing/index.js';
import { type MaskedMeanShape, maskedMean, maskedMeanBackward } from './masked-mean.js';
import { maskedMeanBackwardRef, maskedMeanRef } from './masked-mean.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(717);

// Masks with no, some and all rows selected; non-zero values other than 1 count as selected.
const CASES: [MaskedMeanShape, number[], number][] = [
  [{ B: 1, D: 1 }, [1], 1],
  [{ B: 1, D: 3 }, [0], 1],
  [{ B: 4, D: 64 }, [0, 0, 0, 0], 1],
  [{ B: 5, D: 70 }, [1, 0, 1, 1, 0], 1],
  [{ B: 11, D: 65 }, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7], 1],
  [{ B: 3, D: 5 }, [0, 1, 1], 0],
  [{ B: 3, D: 5 }, [0, 0, 0], 0],
  [{ B: 6, D: 9 }, [1, 0, 0, 1, 0, 1], 2.5],
];

describe('maskedMean', () => {
  it.each(CASES)('forward and backward match the reference on %o, mask %j, extra %d', async (s, mask, extra) => {
    const rows = rng.f32(s.B * s.D);
    const dy = rng.f32(s.D);
    const y = poisoned(ctx, s.D);
    const dRows = poisoned(ctx, s.B * s.D);
    const m = uploadU32(ctx, mask);
    await runOnGpu(ctx, (rec) => {
      maskedMean(rec, { rows: upload(ctx, rows), mask: m, y }, s, { extra });
      maskedMeanBackward(rec, { mask: m, dy: upload(ctx, dy), dRows }, s, { extra });
    });
    expectClose(await download(ctx, y, s.D), maskedMeanRef(rows, mask, s, extra), { label: 'masked mean' });
    expectClose(await download(ctx, dRows, s.B * s.D), maskedMeanBackwardRef(mask, dy, s, extra), { label: 'masked mean backward' });
  });

  it('backward accumulates into dRows', async () => {
    const s = { B: 4, D: 33 };
    const mask = [1, 0, 1, 1];
    const dy = rng.f32(s.D);
    const prior = rng.f32(s.B * s.D);
    const dRows = upload(ctx, prior);
    await runOnGpu(ctx, (rec) =>
      maskedMeanBackward(rec, { mask: uploadU32(ctx, mask), dy: upload(ctx, dy), dRows }, s, { extra: 1, accumulate: true }),
    );
    const expected = maskedMeanBackwardRef(mask, dy, s, 1).map((v, i) => v + (prior[i] as number));
    expectClose(await download(ctx, dRows, s.B * s.D), expected, { label: 'masked mean backward accumulate' });
  });

  it('backward reference is the derivative of the forward reference (finite differences)', () => {
    const s = { B: 5, D: 4 };
    const mask = [0, 1, 1, 0, 1];
    const rows = Float64Array.from(rng.f32(s.B * s.D));
    const dy = Float64Array.from(rng.f32(s.D));
    const loss = (r: Float64Array) => maskedMeanRef(r, mask, s, 1).reduce((acc, v, d) => acc + v * (dy[d] as number), 0);
    expectClose(maskedMeanBackwardRef(mask, dy, s, 1), finiteDifferences(loss, rows), { rtol: 1e-6, label: 'masked mean fd' });
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const f = upload(ctx, new Float32Array(12));
    const mask = uploadU32(ctx, [1, 0, 1]);
    expect(() => maskedMean(rec, { rows: f, mask, y: f }, { B: 4, D: 3 })).toThrow(/maskedMean: mask holds 3 u32 but \[B=4, D=3\] needs 4/);
    expect(() => maskedMean(rec, { rows: f, mask, y: f }, { B: 3, D: 0 })).toThrow(/maskedMean: D = 0/);
    expect(() => maskedMean(rec, { rows: f, mask, y: f }, { B: 3, D: 4 }, { extra: -1 })).toThrow(/maskedMean: extra = -1/);
    expect(() => maskedMeanBackward(rec, { mask, dy: f, dRows: upload(ctx, new Float32Array(8)) }, { B: 3, D: 4 })).toThrow(
      /maskedMeanBackward: dRows holds 8 floats but \[B=3, D=4\] needs 12/,
    );
  });
});
