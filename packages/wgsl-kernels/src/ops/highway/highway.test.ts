import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { dot, download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { UNARY_OP_NAMES } from '../elementwise/unary-ops.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { type HighwayLayout, type HighwayShape, highway, highwayBackward } from './highway.js';
import { highwayBackwardRef, highwayRef } from './highway.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(2018);
const SHAPES: HighwayShape[] = [
  { B: 1, H: 1 },
  { B: 3, H: 13 },
  { B: rng.int(2, 6), H: rng.int(20, 90) },
];
const LAYOUTS: HighwayLayout[] = ['rows', 'blocks'];

/** Within ±3 (tanh' = 1 − y² stays well conditioned in f32) and away from relu's kink, where float64 and f32 may differ. */
const preValues = (n: number) => Float32Array.from(rng.f32(n, -3, 3), (v) => (Math.abs(v) < 1e-3 ? v + 0.01 : v));

describe.each(UNARY_OP_NAMES)('highway with %s', (activation) => {
  for (const layout of LAYOUTS) {
    it.each(SHAPES)(`forward and backward match float64, layout ${layout}, on %o`, async (shape) => {
      const n = shape.B * shape.H;
      const pre = preValues(2 * n);
      const s = rng.f32(n);
      const dOut = rng.f32(n);
      const out = poisoned(ctx, n);
      const dPre = poisoned(ctx, 2 * n);
      const ds = poisoned(ctx, n);
      await runOnGpu(ctx, (rec) => {
        const [p, sv] = [upload(ctx, pre), upload(ctx, s)];
        highway(rec, { pre: p, s: sv, out }, shape, { activation, layout });
        highwayBackward(rec, { pre: p, s: sv, dOut: upload(ctx, dOut), dPre, ds }, shape, { activation, layout });
      });
      expectClose(await download(ctx, out, n), highwayRef(pre, s, shape, activation, layout), { label: 'out' });
      const ref = highwayBackwardRef(pre, s, dOut, shape, activation, layout);
      expectClose(await download(ctx, dPre, 2 * n), ref.dPre, { label: 'dPre' });
      expectClose(await download(ctx, ds, n), ref.ds, { label: 'ds' });
    });
  }

  it('backward accumulates into dPre and ds independently', async () => {
    const shape = { B: 2, H: 7 };
    const n = 14;
    const pre = preValues(2 * n);
    const s = rng.f32(n);
    const dOut = rng.f32(n);
    const ref = highwayBackwardRef(pre, s, dOut, shape, activation);
    const priorPre = rng.f32(2 * n);
    const priorS = rng.f32(n);
    for (const [accumulatePre, accumulateS] of [
      [true, false],
      [false, true],
    ] as const) {
      const dPre = accumulatePre ? upload(ctx, priorPre) : poisoned(ctx, 2 * n);
      const ds = accumulateS ? upload(ctx, priorS) : poisoned(ctx, n);
      await runOnGpu(ctx, (rec) =>
        highwayBackward(rec, { pre: upload(ctx, pre), s: upload(ctx, s), dOut: upload(ctx, dOut), dPre, ds }, shape, {
          activation,
          accumulatePre,
          accumulateS,
        }),
      );
      expectClose(await download(ctx, dPre, 2 * n), accumulatePre ? ref.dPre.map((v, i) => v + (priorPre[i] as number)) : ref.dPre, {
        label: 'dPre',
      });
      expectClose(await download(ctx, ds, n), accumulateS ? ref.ds.map((v, i) => v + (priorS[i] as number)) : ref.ds, { label: 'ds' });
    }
  });

  it.each(LAYOUTS)('backward reference is the derivative of the forward reference (finite differences), layout %s', (layout) => {
    const shape = { B: 2, H: 3 };
    const pre = Float64Array.from(preValues(12));
    const s = Float64Array.from(rng.f32(6));
    const dOut = Float64Array.from(rng.f32(6));
    const ref = highwayBackwardRef(pre, s, dOut, shape, activation, layout);
    const loss = (p: Float64Array, sv: Float64Array) => dot(highwayRef(p, sv, shape, activation, layout), dOut);
    expectClose(
      ref.dPre,
      finiteDifferences((p) => loss(p, s), pre),
      { rtol: 1e-6, label: 'dPre fd' },
    );
    expectClose(
      ref.ds,
      finiteDifferences((sv) => loss(pre, sv), s),
      { rtol: 1e-6, label: 'ds fd' },
    );
  });
});

describe('highway on slices of one arena buffer', () => {
  it('forward and backward with pre, state and gradients in one buffer', async () => {
    const shape = { B: 3, H: 4 };
    const pre = preValues(24);
    const s = rng.f32(12);
    const dOut = rng.f32(12);
    const a = arenaOf(ctx, {
      pre,
      s,
      out: new Float32Array(12).fill(Number.NaN),
      dOut,
      dPre: new Float32Array(24).fill(Number.NaN),
      ds: new Float32Array(12).fill(Number.NaN),
    });
    const t = a.slices;
    await runOnGpu(ctx, (rec) => {
      highway(rec, { pre: t.pre, s: t.s, out: t.out }, shape, { activation: 'tanh' });
      highwayBackward(rec, { pre: t.pre, s: t.s, dOut: t.dOut, dPre: t.dPre, ds: t.ds }, shape, { activation: 'tanh' });
    });
    const ref = highwayBackwardRef(pre, s, dOut, shape, 'tanh');
    expectClose(await a.readF32('out'), highwayRef(pre, s, shape, 'tanh'), { label: 'arena out' });
    expectClose(await a.readF32('dPre'), ref.dPre, { label: 'arena dPre' });
    expectClose(await a.readF32('ds'), ref.ds, { label: 'arena ds' });
  });
});

describe('highway bad input', () => {
  it('names the function and the problem', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const a = upload(ctx, new Float32Array(6));
    const b = upload(ctx, new Float32Array(3));
    expect(() => highway(rec, { pre: b, s: b, out: b }, { B: 1, H: 3 }, { activation: 'tanh' })).toThrow(
      /highway: pre holds 3 floats but must be 2·B·H \(B=1, H=3\) = 6/,
    );
    expect(() => highway(rec, { pre: a, s: b, out: b }, { B: 1, H: 3 }, { activation: 'softplus' as 'tanh' })).toThrow(
      /highway: activation 'softplus' is not one of identity, relu, tanh, sigmoid/,
    );
    expect(() => highway(rec, { pre: a, s: b, out: b }, { B: 1, H: 3 }, { activation: 'relu', layout: 'cols' as 'rows' })).toThrow(
      /highway: layout 'cols'/,
    );
    expect(() =>
      highwayBackward(rec, { pre: a, s: b, dOut: b, dPre: a, ds: upload(ctx, [1]) }, { B: 1, H: 3 }, { activation: 'relu' }),
    ).toThrow(/highwayBackward: ds holds 1 floats but must be \[B=1, H=3\] = 3/);
  });
});
