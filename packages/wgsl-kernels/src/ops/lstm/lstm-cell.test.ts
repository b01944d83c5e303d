import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { dot, download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { type LstmCellShape, lstmCell, lstmCellBackward } from './lstm-cell.js';
import { lstmCellBackwardRef, lstmCellRef } from './lstm-cell.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(64);
const SHAPES: LstmCellShape[] = [
  { B: 1, H: 1 },
  { B: 1, H: 64 },
  { B: 3, H: 17 },
  { B: rng.int(2, 9), H: rng.int(2, 40) },
];

describe('lstmCell', () => {
  it.each(SHAPES)('forward matches float64 on %o', async (s) => {
    const n = s.B * s.H;
    const pre = rng.f32(4 * n, -3, 3);
    const cPrev = rng.f32(n, -2, 2);
    const c = poisoned(ctx, n);
    const h = poisoned(ctx, n);
    await runOnGpu(ctx, (rec) => lstmCell(rec, { pre: upload(ctx, pre), cPrev: upload(ctx, cPrev), c, h }, s));
    const ref = lstmCellRef(pre, cPrev, s);
    expectClose(await download(ctx, c, n), ref.c, { label: 'c' });
    expectClose(await download(ctx, h, n), ref.h, { label: 'h' });
  });

  it.each(SHAPES)('backward matches float64 on %o, with and without dc', async (s) => {
    const n = s.B * s.H;
    const pre = rng.f32(4 * n, -3, 3);
    const cPrev = rng.f32(n, -2, 2);
    const dh = rng.f32(n);
    const dc = rng.f32(n);
    // The backward reads the forward's c as the GPU computed it.
    const c = Float32Array.from(lstmCellRef(pre, cPrev, s).c);
    for (const withDc of [true, false]) {
      const dPre = poisoned(ctx, 4 * n);
      const dcPrev = poisoned(ctx, n);
      await runOnGpu(ctx, (rec) =>
        lstmCellBackward(
          rec,
          {
            pre: upload(ctx, pre),
            cPrev: upload(ctx, cPrev),
            c: upload(ctx, c),
            dh: upload(ctx, dh),
            dc: withDc ? upload(ctx, dc) : undefined,
            dPre,
            dcPrev,
          },
          s,
        ),
      );
      const ref = lstmCellBackwardRef(pre, cPrev, dh, withDc ? dc : undefined, s);
      expectClose(await download(ctx, dPre, 4 * n), ref.dPre, { label: `dPre (dc ${withDc})` });
      expectClose(await download(ctx, dcPrev, n), ref.dcPrev, { label: `dcPrev (dc ${withDc})` });
    }
  });

  it('backward accumulates into dPre and dcPrev independently', async () => {
    const s = { B: 2, H: 9 };
    const n = 18;
    const pre = rng.f32(4 * n, -3, 3);
    const cPrev = rng.f32(n);
    const dh = rng.f32(n);
    const dc = rng.f32(n);
    const c = Float32Array.from(lstmCellRef(pre, cPrev, s).c);
    const ref = lstmCellBackwardRef(pre, cPrev, dh, dc, s);
    const priorPre = rng.f32(4 * n);
    const priorC = rng.f32(n);
    for (const [accumulatePre, accumulateCPrev] of [
      [true, false],
      [false, true],
    ] as const) {
      const dPre = accumulatePre ? upload(ctx, priorPre) : poisoned(ctx, 4 * n);
      const dcPrev = accumulateCPrev ? upload(ctx, priorC) : poisoned(ctx, n);
      const t = {
        pre: upload(ctx, pre),
        cPrev: upload(ctx, cPrev),
        c: upload(ctx, c),
        dh: upload(ctx, dh),
        dc: upload(ctx, dc),
        dPre,
        dcPrev,
      };
      await runOnGpu(ctx, (rec) => lstmCellBackward(rec, t, s, { accumulatePre, accumulateCPrev }));
      expectClose(await download(ctx, dPre, 4 * n), accumulatePre ? ref.dPre.map((v, i) => v + (priorPre[i] as number)) : ref.dPre, {
        label: 'dPre',
      });
      expectClose(await download(ctx, dcPrev, n), accumulateCPrev ? ref.dcPrev.map((v, i) => v + (priorC[i] as number)) : ref.dcPrev, {
        label: 'dcPrev',
      });
    }
  });

  it('backward reference is the derivative of the forward reference (finite differences)', () => {
    const s = { B: 2, H: 3 };
    const pre = Float64Array.from(rng.f32(24, -2, 2));
    const cPrev = Float64Array.from(rng.f32(6));
    const dh = Float64Array.from(rng.f32(6));
    const dc = Float64Array.from(rng.f32(6));
    const loss = (p: Float64Array, cp: Float64Array) => {
      const r = lstmCellRef(p, cp, s);
      return dot(r.h, dh) + dot(r.c, dc);
    };
    const ref = lstmCellBackwardRef(pre, cPrev, dh, dc, s);
    expectClose(
      ref.dPre,
      finiteDifferences((p) => loss(p, cPrev), pre),
      { rtol: 1e-6, label: 'dPre fd' },
    );
    expectClose(
      ref.dcPrev,
      finiteDifferences((cp) => loss(pre, cp), cPrev),
      { rtol: 1e-6, label: 'dcPrev fd' },
    );
  });

  it('forward and backward on slices of one arena buffer', async () => {
    const s = { B: 2, H: 5 };
    const n = 10;
    const pre = rng.f32(40, -3, 3);
    const cPrev = rng.f32(n);
    const dh = rng.f32(n);
    const dc = rng.f32(n);
    const c = Float32Array.from(lstmCellRef(pre, cPrev, s).c);
    const a = arenaOf(ctx, {
      pre,
      cPrev,
      c: new Float32Array(10).fill(Number.NaN),
      h: new Float32Array(10).fill(Number.NaN),
      cSaved: c,
      dh,
      dc,
      dPre: new Float32Array(40).fill(Number.NaN),
      dcPrev: new Float32Array(10).fill(Number.NaN),
    });
    const t = a.slices;
    await runOnGpu(ctx, (rec) => {
      lstmCell(rec, { pre: t.pre, cPrev: t.cPrev, c: t.c, h: t.h }, s);
      lstmCellBackward(rec, { pre: t.pre, cPrev: t.cPrev, c: t.cSaved, dh: t.dh, dc: t.dc, dPre: t.dPre, dcPrev: t.dcPrev }, s);
    });
    const fwd = lstmCellRef(pre, cPrev, s);
    const bwd = lstmCellBackwardRef(pre, cPrev, dh, dc, s);
    expectClose(await a.readF32('h'), fwd.h, { label: 'arena h' });
    expectClose(await a.readF32('dPre'), bwd.dPre, { label: 'arena dPre' });
    expectClose(await a.readF32('dcPrev'), bwd.dcPrev, { label: 'arena dcPrev' });
  });

  it('rejects bad input', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const a = upload(ctx, new Float32Array(8));
    const b = upload(ctx, new Float32Array(2));
    expect(() => lstmCell(rec, { pre: a, cPrev: b, c: b, h: b }, { B: 1, H: 3 })).toThrow(
      /lstmCell: pre holds 8 floats but must be \[B=1, 4H=12\]/,
    );
    expect(() => lstmCell(rec, { pre: a, cPrev: b, c: b, h: b }, { B: 0, H: 2 })).toThrow(/lstmCell: B = 0/);
    const p = upload(ctx, new Float32Array(12));
    const h = upload(ctx, new Float32Array(3));
    expect(() => lstmCellBackward(rec, { pre: p, cPrev: h, c: b, dh: h, dPre: p, dcPrev: h }, { B: 1, H: 3 })).toThrow(
      /lstmCellBackward: c holds 2 floats but must be \[B=1, H=3\] = 3/,
    );
  });
});
