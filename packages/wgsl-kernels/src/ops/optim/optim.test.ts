import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { type BufferSlice, subSlice } from '../../kernel/slice.js';
import { download, expectClose, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { prepareElementwise } from '../elementwise/elementwise-kernel.js';
import { globalNorm, globalNormPartialCount } from '../reduce/global-norm.js';
import { globalNormRef } from '../reduce/reduce.reference.js';
import { adamUpdate } from './adam.js';
import { clipScale } from './clip.js';
import { HYPER, HYPER_FLOATS, writeHyper } from './hyper.js';
import { adamRef, clipScaleRef, sgdMomentumRef, sgdRef } from './optim.reference.js';
import { sgdMomentumUpdate, sgdMomentumUpdateKernel, sgdUpdate } from './sgd.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(5);
const f32 = Math.fround;
// 1024 takes the vec4 programs (a multiple of 4, aligned operands); 1 and 1031 the scalar ones.
const SIZES = [1, 1024, 1031];
const STEPS = 4;

/**
 * Updates are compared by displacement (w − w0), not by w: a relative error of the update itself would vanish in the
 * parameters' own scale. Each step is its own submit, after writing that step's lr (and t) into `hyper`.
 */
const displacement = (w: ArrayLike<number>, w0: ArrayLike<number>) => Float64Array.from(w, (v, i) => v - (w0[i] as number));
const newHyper = () => upload(ctx, new Float32Array(HYPER_FLOATS).fill(Number.NaN));
const lrOfStep = (s: number) => f32(0.2 / (s + 1));

describe('sgdUpdate', () => {
  it.each(SIZES)('%i parameters, 4 steps, lr read from hyper each step, weight decay', async (n) => {
    const w0 = rng.f32(n);
    const [param, hyper] = [upload(ctx, w0), newHyper()];
    const wd = f32(2e-3);
    let ref: Float64Array = Float64Array.from(w0);
    for (let s = 0; s < STEPS; s++) {
      const g = rng.f32(n);
      writeHyper(ctx, hyper, HYPER.lr, [lrOfStep(s)]);
      await runOnGpu(ctx, (rec) => sgdUpdate(rec, { param, grad: upload(ctx, g), hyper }, n, { weightDecay: wd }));
      ref = sgdRef(ref, g, { lr: lrOfStep(s), weightDecay: wd });
    }
    expectClose(displacement(await download(ctx, param, n), w0), displacement(ref, w0), { label: 'sgd displacement' });
  });
});

describe('sgdMomentumUpdate', () => {
  for (const nesterov of [false, true]) {
    it.each(SIZES)(`${nesterov ? 'Nesterov' : 'plain'} momentum, %i parameters, 4 steps, weight decay`, async (n) => {
      const w0 = rng.f32(n);
      const [param, accum, hyper] = [upload(ctx, w0), upload(ctx, new Float32Array(n)), newHyper()];
      const options = { momentum: f32(0.9), nesterov, weightDecay: f32(5e-4) };
      let ref: ReturnType<typeof sgdMomentumRef> = { param: Float64Array.from(w0), accum: new Float64Array(n) };
      for (let s = 0; s < STEPS; s++) {
        const g = rng.f32(n);
        writeHyper(ctx, hyper, HYPER.lr, [lrOfStep(s)]);
        await runOnGpu(ctx, (rec) => sgdMomentumUpdate(rec, { param, grad: upload(ctx, g), accum, hyper }, n, options));
        ref = sgdMomentumRef(ref.param, ref.accum, g, { lr: lrOfStep(s), ...options });
      }
      expectClose(displacement(await download(ctx, param, n), w0), displacement(ref.param, w0), { label: 'momentum displacement' });
      expectClose(await download(ctx, accum, n), ref.accum, { label: 'accumulator' });
    });
  }
});

describe('update programs', () => {
  it('take vec4 for whole vectors and scalar otherwise', () => {
    const n = 1024;
    const [param, grad, accum, hyper] = [upload(ctx, rng.f32(n + 4)), upload(ctx, rng.f32(n)), upload(ctx, rng.f32(n)), newHyper()];
    const label = (p: BufferSlice, count: number) =>
      prepareElementwise(
        ctx,
        sgdMomentumUpdateKernel,
        { scaled: false, nesterov: true },
        { param: p, grad, accum, hyper },
        {
          n: count,
          lrIndex: 0,
          scaleIndex: 0,
          weightDecay: 0,
          momentum: 0.9,
        },
      ).label;
    expect(label(param, n)).toBe('sgd_momentum_update_vec4');
    expect(label(param, n - 1)).toBe('sgd_momentum_update');
  });
});

describe('adamUpdate', () => {
  const configs = [
    { name: 'ENAS controller (β1 0, ε 1e-3)', beta1: 0, beta2: 0.999, epsilon: 1e-3, firstStep: 1 },
    { name: 'TF defaults', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, firstStep: 1 },
    { name: 'TF defaults late in training', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, firstStep: 5000 },
  ];
  for (const c of configs) {
    it.each(SIZES)(`${c.name}, %i parameters, 4 steps from t = ${c.firstStep}`, async (n) => {
      const w0 = rng.f32(n);
      const m0 = c.firstStep > 1 ? rng.f32(n, -0.1, 0.1) : new Float32Array(n);
      const v0 = c.firstStep > 1 ? rng.f32(n, 0, 0.1) : new Float32Array(n);
      const [param, m, v, hyper] = [upload(ctx, w0), upload(ctx, m0), upload(ctx, v0), newHyper()];
      const options = { beta1: f32(c.beta1), beta2: f32(c.beta2), epsilon: f32(c.epsilon), weightDecay: f32(1e-4) };
      let ref: ReturnType<typeof adamRef> = { param: Float64Array.from(w0), m: Float64Array.from(m0), v: Float64Array.from(v0) };
      for (let s = 0; s < STEPS; s++) {
        const g = rng.f32(n);
        const step = c.firstStep + s;
        writeHyper(ctx, hyper, HYPER.lr, [lrOfStep(s), step]);
        await runOnGpu(ctx, (rec) => adamUpdate(rec, { param, grad: upload(ctx, g), m, v, hyper }, n, options));
        ref = adamRef(ref.param, ref.m, ref.v, g, { lr: lrOfStep(s), step, ...options });
      }
      expectClose(displacement(await download(ctx, param, n), w0), displacement(ref.param, w0), { label: 'adam displacement' });
      expectClose(await download(ctx, m, n), ref.m, { label: 'first moment' });
      expectClose(await download(ctx, v, n), ref.v, { label: 'second moment' });
    });
  }
});

describe('global-norm clipping on the GPU', () => {
  for (const maxNorm of [0.5, 1000]) {
    it(`globalNorm → clipScale → scaled SGD, momentum and Adam updates in one submit (maxNorm ${maxNorm})`, async () => {
      const sizes = [300, 1031, 7];
      const grads = sizes.map((n) => rng.f32(n));
      const w0 = sizes.map((n) => rng.f32(n));
      const params = w0.map((w) => upload(ctx, w));
      const [accum, m, v] = [upload(ctx, new Float32Array(1031)), upload(ctx, new Float32Array(7)), upload(ctx, new Float32Array(7))];
      const hyper = newHyper();
      const lr = f32(0.1);
      writeHyper(ctx, hyper, HYPER.lr, [lr, 1]);
      const gradSlices = grads.map((g) => upload(ctx, g));
      const partials = poisoned(ctx, globalNormPartialCount(sizes));
      const slots = { lr: HYPER.lr, step: HYPER.step, gradScale: HYPER.gradScale };
      const [p0, p1, p2] = params as [BufferSlice, BufferSlice, BufferSlice];
      const [g0, g1, g2] = gradSlices as [BufferSlice, BufferSlice, BufferSlice];
      const adam = { beta1: 0, beta2: f32(0.999), epsilon: f32(1e-3) };
      await runOnGpu(ctx, (rec) => {
        globalNorm(rec, { tensors: gradSlices, partials, out: hyper }, { outIndex: HYPER.gradNorm });
        clipScale(rec, hyper, { maxNorm });
        sgdUpdate(rec, { param: p0, grad: g0, hyper }, 300, { slots });
        sgdMomentumUpdate(rec, { param: p1, grad: g1, accum, hyper }, 1031, { slots, momentum: f32(0.9), nesterov: true });
        adamUpdate(rec, { param: p2, grad: g2, m, v, hyper }, 7, { slots, ...adam });
      });
      const norm = globalNormRef(grads);
      const scale = clipScaleRef(norm, f32(maxNorm));
      const h = await download(ctx, hyper);
      expectClose([h[HYPER.gradNorm] as number, h[HYPER.gradScale] as number], [norm, scale], { label: 'norm and scale' });
      if (maxNorm > norm) expect(h[HYPER.gradScale]).toBe(1);
      else expect(scale).toBeLessThan(0.1); // the clipped case really clips
      const [w0a, w0b, w0c] = w0 as [Float32Array, Float32Array, Float32Array];
      const [ga, gb, gc] = grads as [Float32Array, Float32Array, Float32Array];
      const expected = [
        sgdRef(w0a, ga, { lr, gradScale: scale }),
        sgdMomentumRef(w0b, new Float32Array(1031), gb, { lr, gradScale: scale, momentum: f32(0.9), nesterov: true }).param,
        adamRef(w0c, new Float32Array(7), new Float32Array(7), gc, { lr, gradScale: scale, step: 1, ...adam }).param,
      ];
      for (let i = 0; i < 3; i++) {
        const got = await download(ctx, params[i] as BufferSlice, sizes[i]);
        expectClose(displacement(got, w0[i] as Float32Array), displacement(expected[i] as Float64Array, w0[i] as Float32Array), {
          label: `scaled update of tensor ${i}`,
        });
      }
    });
  }

  it('clipScale: a zero norm and a small norm leave gradients unscaled, a large one scales by maxNorm / norm', async () => {
    const hyper = upload(ctx, [0, Number.NaN, 3, Number.NaN, 20, Number.NaN]);
    await runOnGpu(ctx, (rec) => {
      clipScale(rec, hyper, { maxNorm: 5, normIndex: 0, scaleIndex: 1 });
      clipScale(rec, hyper, { maxNorm: 5, normIndex: 2, scaleIndex: 3 });
      clipScale(rec, hyper, { maxNorm: 5, normIndex: 4, scaleIndex: 5 });
    });
    expect(Array.from(await download(ctx, hyper))).toEqual([0, 1, 3, 1, 20, 0.25]);
  });
});

describe('updates on slices of one weight-pool buffer', () => {
  it('Nesterov momentum with parameters, gradients, accumulators and hyper in the same GPUBuffer', async () => {
    // Weight pools keep all of these in one buffer: the kernel then runs its all-read_write variant.
    const n = 100;
    const align = ctx.limits.minStorageBufferOffsetAlignment / 4;
    const stride = Math.ceil(n / align) * align;
    const [w0, g] = [rng.f32(n), rng.f32(n)];
    const data = new Float32Array(3 * stride + align);
    data.set(w0, 0);
    data.set(g, stride);
    data.set([f32(0.05)], 3 * stride + HYPER.lr);
    const pool = upload(ctx, data);
    const [param, grad, accum, hyper] = [0, 1, 2, 3].map((k) => subSlice(pool, k * stride * 4, (k === 3 ? HYPER_FLOATS : n) * 4)) as [
      BufferSlice,
      BufferSlice,
      BufferSlice,
      BufferSlice,
    ];
    const options = { momentum: f32(0.9), nesterov: true, weightDecay: f32(1e-3) };
    await runOnGpu(ctx, (rec) => sgdMomentumUpdate(rec, { param, grad, accum, hyper }, n, options));
    const ref = sgdMomentumRef(w0, new Float32Array(n), g, { lr: f32(0.05), ...options });
    expectClose(displacement(await download(ctx, param, n), w0), displacement(ref.param, w0), { label: 'pool displacement' });
    expectClose(await download(ctx, accum, n), ref.accum, { label: 'pool accumulator' });
  });
});

describe('optimizer bad input', () => {
  const rec = () => new Recorder(ctx, 'bad input'); // never submitted: the wrappers throw before recording
  const hyper = () => upload(ctx, new Float32Array(HYPER_FLOATS));

  it('names the operand, the count and the slot', () => {
    expect(() => sgdUpdate(rec(), { param: poisoned(ctx, 10), grad: poisoned(ctx, 5), hyper: hyper() }, 10)).toThrow(
      /sgdUpdate: grad holds 5 floats but n = 10 parameters are updated/,
    );
    expect(() => sgdUpdate(rec(), { param: poisoned(ctx, 10), grad: poisoned(ctx, 10), hyper: hyper() }, 10, { slots: { lr: 7 } })).toThrow(
      /sgdUpdate: hyper slot 'lr' = 7 is outside the hyper buffer of 4 floats/,
    );
    expect(() => sgdUpdate(rec(), { param: poisoned(ctx, 10), grad: poisoned(ctx, 10), hyper: hyper() }, 0)).toThrow(/n = 0/);
  });

  it('rejects bad coefficients, a missing step slot and overlapping state', () => {
    const t = { param: poisoned(ctx, 8), grad: poisoned(ctx, 8), m: poisoned(ctx, 8), v: poisoned(ctx, 8), hyper: hyper() };
    expect(() => adamUpdate(rec(), t, 8, { beta1: 1 })).toThrow(/adamUpdate: beta1 = 1; it must lie in \[0, 1\)/);
    expect(() => adamUpdate(rec(), t, 8, { epsilon: 0 })).toThrow(/epsilon = 0/);
    expect(() => adamUpdate(rec(), t, 8, { slots: { lr: 0 } })).toThrow(/slots.step is missing/);
    const pool = poisoned(ctx, 128);
    expect(() =>
      sgdMomentumUpdate(rec(), { param: subSlice(pool, 0, 256), grad: t.grad, accum: subSlice(pool, 0, 256), hyper: t.hyper }, 8, {
        momentum: 0.9,
        nesterov: true,
      }),
    ).toThrow(/sgdMomentumUpdate: param overlaps accum/);
    expect(() => sgdMomentumUpdate(rec(), { ...t, accum: t.m }, 8, { momentum: 1.5, nesterov: false })).toThrow(/momentum = 1.5/);
    expect(() => clipScale(rec(), t.hyper, { maxNorm: 0 })).toThrow(/clipScale: maxNorm = 0/);
    expect(() => writeHyper(ctx, t.hyper, 3, [1, 2])).toThrow(/writeHyper: elements \[3, 5\) are outside the hyper slice of 4 floats/);
  });
});
