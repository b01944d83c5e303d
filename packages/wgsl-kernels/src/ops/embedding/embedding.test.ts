import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload, uploadU32 } from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { type EmbeddingShape, embeddingBackward, embeddingGather } from './embedding.js';
import { embeddingBackwardRef, embeddingGatherRef } from './embedding.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(606);
const SHAPES: EmbeddingShape[] = [
  { V: 1, D: 1, T: 1 },
  { V: 10, D: 3, T: 25 },
  { V: 37, D: 70, T: 19 },
  { V: 5, D: 129, T: 40 },
];

/** Ids with repeats (T > V forces them), so the scatter-add really adds. */
const idsFor = (s: EmbeddingShape) => Uint32Array.from({ length: s.T }, () => rng.int(0, s.V - 1));

describe('embedding', () => {
  it.each(SHAPES)('gather matches the reference on %o', async (s) => {
    const table = rng.f32(s.V * s.D);
    const ids = idsFor(s);
    const y = poisoned(ctx, s.T * s.D);
    await runOnGpu(ctx, (rec) => embeddingGather(rec, { table: upload(ctx, table), ids: uploadU32(ctx, ids), y }, s));
    expect(Array.from(await download(ctx, y, s.T * s.D))).toEqual(Array.from(embeddingGatherRef(table, ids, s)));
  });

  it.each(SHAPES)('backward (scatter-add) matches the reference on %o, for 1 and several row blocks', async (s) => {
    const ids = idsFor(s);
    const dy = rng.f32(s.T * s.D);
    const expected = embeddingBackwardRef(ids, dy, s);
    const results: Float32Array[] = [];
    for (const rowBlocks of [1, Math.min(s.V, 4), s.V]) {
      const dTable = poisoned(ctx, s.V * s.D);
      await runOnGpu(ctx, (rec) => embeddingBackward(rec, { ids: uploadU32(ctx, ids), dy: upload(ctx, dy), dTable }, s, { rowBlocks }));
      const got = await download(ctx, dTable, s.V * s.D);
      expectClose(got, expected, { label: `embedding backward, ${rowBlocks} row blocks` });
      results.push(Float32Array.from(got));
    }
    // Deterministic: each row is summed in id order, whatever the grid, so the bits agree.
    for (const r of results) expect(Array.from(r)).toEqual(Array.from(results[0] as Float32Array));
  });

  it('backward accumulates into dTable', async () => {
    const s = { V: 9, D: 17, T: 30 };
    const ids = idsFor(s);
    const dy = rng.f32(s.T * s.D);
    const prior = rng.f32(s.V * s.D);
    const dTable = upload(ctx, prior);
    await runOnGpu(ctx, (rec) =>
      embeddingBackward(rec, { ids: uploadU32(ctx, ids), dy: upload(ctx, dy), dTable }, s, { accumulate: true, rowBlocks: 2 }),
    );
    expectClose(
      await download(ctx, dTable, s.V * s.D),
      embeddingBackwardRef(ids, dy, s).map((v, i) => v + (prior[i] as number)),
      { label: 'embedding backward accumulate' },
    );
  });

  it('an id ≥ V gives a NaN row forward and is ignored backward', async () => {
    const s = { V: 4, D: 3, T: 3 };
    const table = rng.f32(12);
    const ids = Uint32Array.of(1, 4, 0);
    const y = poisoned(ctx, 9);
    const dTable = poisoned(ctx, 12);
    const dy = rng.f32(9);
    await runOnGpu(ctx, (rec) => {
      embeddingGather(rec, { table: upload(ctx, table), ids: uploadU32(ctx, ids), y }, s);
      embeddingBackward(rec, { ids: uploadU32(ctx, ids), dy: upload(ctx, dy), dTable }, s);
    });
    const got = Array.from(await download(ctx, y, 9));
    expect(got.slice(3, 6).every(Number.isNaN)).toBe(true);
    expect(got.slice(0, 3)).toEqual(Array.from(table.slice(3, 6)));
    expectClose(await download(ctx, dTable, 12), embeddingBackwardRef(ids, dy, s), { label: 'ignored id' });
  });

  it('backward reference is the derivative of the gather reference (finite differences)', () => {
    const s = { V: 4, D: 3, T: 6 };
    const ids = Uint32Array.of(0, 2, 2, 3, 0, 2);
    const table = Float64Array.from(rng.f32(12));
    const dy = Float64Array.from(rng.f32(18));
    const loss = (e: Float64Array) => embeddingGatherRef(e, ids, s).reduce((acc, v, i) => acc + v * (dy[i] as number), 0);
    expectClose(embeddingBackwardRef(ids, dy, s), finiteDifferences(loss, table), { rtol: 1e-6, label: 'embedding fd' });
  });

  it('gather and scatter-add on slices of one arena buffer', async () => {
    const s = { V: 6, D: 5, T: 9 };
    const table = rng.f32(30);
    const ids = idsFor(s);
    const dy = rng.f32(45);
    const a = arenaOf(ctx, { table, ids, y: new Float32Array(45).fill(Number.NaN), dy, dTable: new Float32Array(30).fill(Number.NaN) });
    await runOnGpu(ctx, (rec) => {
      embeddingGather(rec, { table: a.slices.table, ids: a.slices.ids, y: a.slices.y }, s);
      embeddingBackward(rec, { ids: a.slices.ids, dy: a.slices.dy, dTable: a.slices.dTable }, s, { rowBlocks: 2 });
    });
    expect(Array.from(await a.readF32('y'))).toEqual(Array.from(embeddingGatherRef(table, ids, s)));
    expectClose(await a.readF32('dTable'), embeddingBackwardRef(ids, dy, s), { label: 'arena scatter-add' });
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const s = { V: 4, D: 3, T: 5 };
    const f = upload(ctx, new Float32Array(12));
    const ids = uploadU32(ctx, [0, 1, 2, 3]);
    expect(() => embeddingGather(rec, { table: f, ids, y: upload(ctx, new Float32Array(15)) }, s)).toThrow(
      /embeddingGather: ids holds 4 u32 but \[V=4, D=3, T=5\] needs 5/,
    );
    expect(() => embeddingGather(rec, { table: f, ids, y: f }, { V: 0, D: 3, T: 1 })).toThrow(/embeddingGather: V = 0/);
    expect(() => embeddingBackward(rec, { ids, dy: f, dTable: f }, { V: 4, D: 3, T: 4 }, { rowBlocks: 5 })).toThrow(
      /embeddingBackward: rowBlocks = 5/,
    );
    expect(() => embeddingBackward(rec, { ids, dy: f, dTable: upload(ctx, new Float32Array(8)) }, { V: 4, D: 3, T: 4 })).toThrow(
      /embeddingBackward: dTable holds 8 floats/,
    );
  });
});
