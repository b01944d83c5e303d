import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { download, expectClose, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { type LstmStepShape, lstmStep } from './lstm-step.js';
import { lstmStepRef } from './lstm-step.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(65);
// The controller's step (B 1, H = Kx = 64), ragged sizes (B·H not a multiple of the 64 threads), 1×1 edges.
const SHAPES: LstmStepShape[] = [
  { B: 1, H: 1, Kx: 1 },
  { B: 1, H: 64, Kx: 64 },
  { B: 3, H: 17, Kx: 5 },
  { B: rng.int(2, 5), H: rng.int(2, 40), Kx: rng.int(1, 40) },
];

// Sums of up to 128 products: 1e-4 relative holds with the tensors' own scale as floor (testing/compare.ts).
describe('lstmStep', () => {
  it.each(SHAPES)('pre-activations, c and h match float64 on %o', async (s) => {
    const n = s.B * s.H;
    const x = rng.f32(s.B * s.Kx);
    const hPrev = rng.f32(n);
    const w = rng.f32((s.Kx + s.H) * 4 * s.H, -0.5, 0.5);
    const cPrev = rng.f32(n, -2, 2);
    const [pre, c, h] = [poisoned(ctx, 4 * n), poisoned(ctx, n), poisoned(ctx, n)];
    await runOnGpu(ctx, (rec) =>
      lstmStep(rec, { x: upload(ctx, x), hPrev: upload(ctx, hPrev), w: upload(ctx, w), cPrev: upload(ctx, cPrev), pre, c, h }, s),
    );
    const ref = lstmStepRef(x, hPrev, w, cPrev, s);
    expectClose(await download(ctx, pre, 4 * n), ref.pre, { label: 'pre' });
    expectClose(await download(ctx, c, n), ref.c, { label: 'c' });
    expectClose(await download(ctx, h, n), ref.h, { label: 'h' });
  });

  it('runs on slices of one arena buffer', async () => {
    const s = { B: 2, H: 5, Kx: 3 };
    const x = rng.f32(6);
    const hPrev = rng.f32(10);
    const w = rng.f32(8 * 20);
    const cPrev = rng.f32(10);
    const nan = (k: number) => new Float32Array(k).fill(Number.NaN);
    const a = arenaOf(ctx, { x, hPrev, w, cPrev, pre: nan(40), c: nan(10), h: nan(10) });
    const t = a.slices;
    await runOnGpu(ctx, (rec) => lstmStep(rec, t, s));
    const ref = lstmStepRef(x, hPrev, w, cPrev, s);
    expectClose(await a.readF32('pre'), ref.pre, { label: 'arena pre' });
    expectClose(await a.readF32('h'), ref.h, { label: 'arena h' });
  });

  it('rejects bad input, naming the operand and the shape', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const f = (k: number) => upload(ctx, new Float32Array(k));
    const ok = { x: f(2), hPrev: f(2), w: f(4 * 8), cPrev: f(2), pre: f(8), c: f(2), h: f(2) };
    const s = { B: 1, H: 2, Kx: 2 };
    expect(() => lstmStep(rec, { ...ok, w: f(20) }, s)).toThrow(/lstmStep: w holds 20 floats but must be \[Kx \+ H = 4, 4H = 8\] = 32/);
    expect(() => lstmStep(rec, { ...ok, x: f(1) }, s)).toThrow(/lstmStep: x holds 1 floats but must be \[B=1, Kx=2\] = 2/);
    expect(() => lstmStep(rec, ok, { ...s, Kx: 0 })).toThrow(/lstmStep: Kx = 0/);
  });
});
