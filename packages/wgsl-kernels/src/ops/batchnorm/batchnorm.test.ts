import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import { type BufferSlice, subSlice } from '../../kernel/slice.js';
import { dot, download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { BATCH_NORM_DEFAULTS, batchNormInference, batchNormTrain } from './batchnorm.js';
import { batchNormBackwardRef, batchNormInferenceRef, batchNormTrainRef } from './batchnorm.reference.js';
import { batchNormBackward } from './batchnorm-backward.js';
import type { BatchNormShape } from './batchnorm-checks.js';
import { batchNormSplitPlan } from './batchnorm-split.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(9);
const EPS = BATCH_NORM_DEFAULTS.epsilon;
const DECAY = BATCH_NORM_DEFAULTS.decay;
const f32 = Math.fround;

/**
 * Batch 1, 1×1 spatial (one value per channel: zero variance), C not a multiple of anything, and per-channel axes of
 * 4092 and 12288 values, long enough that the statistics go through many rounds of the tree reduction. Batch
 * statistics are long reductions; 1e-4 relative holds for these (the README allows 1e-3).
 */
const SHAPES: BatchNormShape[] = [
  { N: 1, C: 3, H: 1, W: 1 },
  { N: 1, C: 5, H: 4, W: 3 },
  { N: 3, C: 70, H: 1, W: 1 },
  { N: 2, C: 3, H: 5, W: 7 },
  { N: 4, C: 2, H: 33, W: 31 },
  { N: 3, C: 1, H: 64, W: 64 },
];
const RTOL = 1e-4;
const total = (s: BatchNormShape) => s.N * s.C * s.H * s.W;

async function checkTrain(shape: BatchNormShape, affine: boolean, splits?: number, offset = 0): Promise<void> {
  const x = rng.f32(total(shape), -1, 2).map((v) => v + offset);
  const gamma = rng.f32(shape.C, 0.5, 1.5);
  const beta = rng.f32(shape.C);
  const rm = rng.f32(shape.C);
  const rv = rng.f32(shape.C, 0.5, 1.5);
  const y = poisoned(ctx, total(shape));
  const saveMean = poisoned(ctx, shape.C);
  const saveInvStd = poisoned(ctx, shape.C);
  const [runningMean, runningVar] = [upload(ctx, rm), upload(ctx, rv)];
  const params = affine ? { gamma: upload(ctx, gamma), beta: upload(ctx, beta), runningMean, runningVar } : {};
  await runOnGpu(ctx, (rec) => batchNormTrain(rec, { x: upload(ctx, x), y, saveMean, saveInvStd, ...params }, shape, { splits }));

  const ref = batchNormTrainRef(x, shape, {
    epsilon: f32(EPS),
    decay: f32(DECAY),
    ...(affine ? { gamma, beta, runningMean: rm, runningVar: rv } : {}),
  });
  expectClose(await download(ctx, y, total(shape)), ref.y, { rtol: RTOL, label: 'y' });
  expectClose(await download(ctx, saveMean, shape.C), ref.mean, { rtol: RTOL, label: 'saved mean' });
  expectClose(await download(ctx, saveInvStd, shape.C), ref.invStd, { rtol: RTOL, label: 'saved 1/std' });
  if (affine) {
    expectClose(await download(ctx, runningMean, shape.C), ref.runningMean as Float64Array, { rtol: RTOL, label: 'running mean' });
    expectClose(await download(ctx, runningVar, shape.C), ref.runningVar as Float64Array, { rtol: RTOL, label: 'running var' });
  }
}

describe('batchNormTrain', () => {
  for (const shape of SHAPES) {
    for (const affine of [true, false]) {
      it(`${affine ? 'affine, running averages' : 'no affine, no running averages'} ${JSON.stringify(shape)}`, () =>
        checkTrain(shape, affine));
    }
  }

  it('stays accurate when the mean is large against the spread (two-pass variance)', async () => {
    // x = 100 + U(-1, 1): E[x²] − mean² would lose about 4 of f32's 7 digits of the variance here.
    const shape = { N: 4, C: 2, H: 16, W: 16 };
    const x = Float32Array.from(rng.f32(total(shape)), (v) => 100 + v);
    const y = poisoned(ctx, total(shape));
    const [saveMean, saveInvStd] = [poisoned(ctx, 2), poisoned(ctx, 2)];
    await runOnGpu(ctx, (rec) => batchNormTrain(rec, { x: upload(ctx, x), y, saveMean, saveInvStd }, shape));
    const ref = batchNormTrainRef(x, shape, { epsilon: f32(EPS) });
    expectClose(await download(ctx, y, total(shape)), ref.y, { rtol: RTOL, label: 'y, large mean' });
    expectClose(await download(ctx, saveInvStd, 2), ref.invStd, { rtol: RTOL, label: '1/std, large mean' });
  });
});

describe('batchNormInference', () => {
  for (const shape of SHAPES.slice(1, 4)) {
    for (const affine of [true, false]) {
      it(`${affine ? 'affine' : 'no affine'} ${JSON.stringify(shape)}`, async () => {
        const x = rng.f32(total(shape), -1, 2);
        const [gamma, beta, rm, rv] = [rng.f32(shape.C, 0.5, 1.5), rng.f32(shape.C), rng.f32(shape.C), rng.f32(shape.C, 0.5, 1.5)];
        const y = poisoned(ctx, total(shape));
        const params = affine ? { gamma: upload(ctx, gamma), beta: upload(ctx, beta) } : {};
        await runOnGpu(ctx, (rec) =>
          batchNormInference(rec, { x: upload(ctx, x), y, runningMean: upload(ctx, rm), runningVar: upload(ctx, rv), ...params }, shape),
        );
        const ref = batchNormInferenceRef(x, shape, {
          runningMean: rm,
          runningVar: rv,
          epsilon: f32(EPS),
          ...(affine ? { gamma, beta } : {}),
        });
        expectClose(await download(ctx, y, total(shape)), ref, { rtol: RTOL, label: 'inference y' });
      });
    }
  }
});

interface BackwardCase {
  shape: BatchNormShape;
  mode: 'training' | 'inference';
  affine: boolean;
  accumulate?: boolean;
  accumulateParams?: boolean;
  /** Chunks per channel (the split path); default: the plan's (1 on a CPU adapter). */
  splits?: number;
}

async function checkBackward({
  shape,
  mode,
  affine,
  accumulate = false,
  accumulateParams = accumulate,
  splits,
}: BackwardCase): Promise<void> {
  const n = total(shape);
  const x = rng.f32(n, -1, 2);
  const dy = rng.f32(n);
  const gamma = rng.f32(shape.C, 0.5, 1.5);
  const rm = rng.f32(shape.C);
  const rv = rng.f32(shape.C, 0.5, 1.5);
  const priorDx = rng.f32(n);
  const priorDgamma = rng.f32(shape.C);
  const priorDbeta = rng.f32(shape.C);
  const ref = batchNormBackwardRef(x, dy, shape, {
    mode,
    epsilon: f32(EPS),
    runningMean: rm,
    runningVar: rv,
    ...(affine ? { gamma } : {}),
  });
  const stats =
    mode === 'training'
      ? (() => {
          // The statistics batchNormTrain would save, rounded to f32 as it stores them.
          const fwd = batchNormTrainRef(x, shape, { epsilon: f32(EPS) });
          return { saveMean: upload(ctx, Float32Array.from(fwd.mean)), saveInvStd: upload(ctx, Float32Array.from(fwd.invStd)) };
        })()
      : { runningMean: upload(ctx, rm), runningVar: upload(ctx, rv) };
  const dx = accumulate ? upload(ctx, priorDx) : poisoned(ctx, n);
  const dgamma = accumulateParams ? upload(ctx, priorDgamma) : poisoned(ctx, shape.C);
  const dbeta = accumulateParams ? upload(ctx, priorDbeta) : poisoned(ctx, shape.C);
  const params = affine ? { gamma: upload(ctx, gamma), dgamma, dbeta } : {};
  await runOnGpu(ctx, (rec) =>
    batchNormBackward(rec, { x: upload(ctx, x), dy: upload(ctx, dy), dx, ...stats, ...params }, shape, {
      mode,
      accumulate,
      accumulateParams,
      splits,
    }),
  );
  const plus = (a: Float64Array, prior: Float32Array, on: boolean) => (on ? a.map((v, i) => v + (prior[i] as number)) : a);
  expectClose(await download(ctx, dx, n), plus(ref.dx, priorDx, accumulate), { rtol: RTOL, label: 'dx' });
  if (affine) {
    expectClose(await download(ctx, dgamma, shape.C), plus(ref.dgamma, priorDgamma, accumulateParams), { rtol: RTOL, label: 'dgamma' });
    expectClose(await download(ctx, dbeta, shape.C), plus(ref.dbeta, priorDbeta, accumulateParams), { rtol: RTOL, label: 'dbeta' });
  }
}

describe('batchNormBackward', () => {
  for (const shape of SHAPES) {
    for (const mode of ['training', 'inference'] as const) {
      for (const affine of [true, false]) {
        it(`${mode}, ${affine ? 'affine' : 'no affine'} ${JSON.stringify(shape)}`, () => checkBackward({ shape, mode, affine }));
      }
    }
  }

  it('accumulates dx, dγ and dβ', () =>
    checkBackward({ shape: SHAPES[3] as BatchNormShape, mode: 'training', affine: true, accumulate: true }));
  it('accumulates dγ, dβ while overwriting dx', () =>
    checkBackward({ shape: SHAPES[4] as BatchNormShape, mode: 'training', affine: true, accumulateParams: true }));
  it('accumulates dx while overwriting dγ, dβ (inference)', () =>
    checkBackward({ shape: SHAPES[2] as BatchNormShape, mode: 'inference', affine: true, accumulate: true, accumulateParams: false }));
});

/**
 * The split path (batchnorm-split.ts), forced: chunks of 819 values with a ragged last one, of one value each (a
 * chunk's M2 is 0), and a large mean against the spread, where merging chunk moments must not cancel.
 */
const SPLIT_CASES: { shape: BatchNormShape; splits: number }[] = [
  { shape: { N: 4, C: 2, H: 33, W: 31 }, splits: 5 },
  { shape: { N: 3, C: 1, H: 64, W: 64 }, splits: 3 },
  { shape: { N: 2, C: 3, H: 5, W: 7 }, splits: 70 },
];

describe('batch norm split into chunks per channel', () => {
  for (const { shape, splits } of SPLIT_CASES) {
    for (const affine of [true, false]) {
      it(`forward, ${affine ? 'affine, running averages' : 'no affine'}, ${splits} chunks ${JSON.stringify(shape)}`, () =>
        checkTrain(shape, affine, splits));
      for (const mode of ['training', 'inference'] as const) {
        it(`backward ${mode}, ${affine ? 'affine' : 'no affine'}, ${splits} chunks ${JSON.stringify(shape)}`, () =>
          checkBackward({ shape, mode, affine, splits }));
      }
    }
  }

  it('forward stays accurate with a large mean against the spread', () => checkTrain({ N: 4, C: 2, H: 16, W: 16 }, true, 6, 100));

  it('backward accumulates dx, dγ and dβ independently', async () => {
    const shape = { N: 4, C: 2, H: 33, W: 31 };
    await checkBackward({ shape, mode: 'training', affine: true, accumulate: true, splits: 4 });
    await checkBackward({ shape, mode: 'training', affine: true, accumulateParams: true, splits: 4 });
    await checkBackward({ shape, mode: 'inference', affine: true, accumulate: true, accumulateParams: false, splits: 4 });
  });

  it('plans one chunk per channel on a CPU adapter and fills a GPU with chunks of long channels', () => {
    const enas = { N: 160, C: 20, H: 32, W: 32 };
    const gpu = { adapter: { isFallbackOrSoftware: false } } as GpuContext;
    const plan = batchNormSplitPlan(gpu, enas);
    expect(plan.splits).toBeGreaterThan(10);
    expect(plan.splits * plan.chunk).toBeGreaterThanOrEqual(160 * 32 * 32);
    expect((plan.splits - 1) * plan.chunk).toBeLessThan(160 * 32 * 32);
    expect(plan.workspaceFloats).toBe(plan.splits * 2 * 20);
    expect(batchNormSplitPlan(gpu, { N: 1, C: 64, H: 8, W: 8 }).splits).toBe(1);
    expect(batchNormSplitPlan({ adapter: { isFallbackOrSoftware: true } } as GpuContext, enas).splits).toBe(1);
  });
});

describe('batch norm on slices of one arena buffer', () => {
  it('training forward and backward, every operand in the same GPUBuffer', async () => {
    // The engine's tensors share arena buffers: the kernels then run their all-read_write variant, which must
    // bind without aliasing errors and compute the same values.
    const shape = { N: 2, C: 3, H: 4, W: 5 };
    const n = total(shape);
    const C = shape.C;
    const names = ['x', 'y', 'saveMean', 'saveInvStd', 'gamma', 'beta', 'runningMean', 'runningVar', 'dy', 'dx', 'dgamma', 'dbeta'];
    const sizes = [n, n, C, C, C, C, C, C, n, n, C, C];
    const align = ctx.limits.minStorageBufferOffsetAlignment / 4;
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((o, k) => o + Math.ceil(k / align) * align, 0));
    const data = new Float32Array((offsets.at(-1) as number) + align * Math.ceil(C / align)).fill(Number.NaN);
    const values: Record<string, Float32Array> = {
      x: rng.f32(n, -1, 2),
      gamma: rng.f32(C, 0.5, 1.5),
      beta: rng.f32(C),
      runningMean: rng.f32(C),
      runningVar: rng.f32(C, 0.5, 1.5),
      dy: rng.f32(n),
    };
    names.forEach((name, i) => {
      if (values[name]) data.set(values[name] as Float32Array, offsets[i]);
    });
    const arena = upload(ctx, data);
    const s = Object.fromEntries(names.map((name, i) => [name, subSlice(arena, (offsets[i] as number) * 4, (sizes[i] as number) * 4)]));
    const slice = (name: string) => s[name] as BufferSlice;
    await runOnGpu(ctx, (rec) => {
      batchNormTrain(
        rec,
        {
          x: slice('x'),
          y: slice('y'),
          saveMean: slice('saveMean'),
          saveInvStd: slice('saveInvStd'),
          gamma: slice('gamma'),
          beta: slice('beta'),
          runningMean: slice('runningMean'),
          runningVar: slice('runningVar'),
        },
        shape,
      );
      batchNormBackward(
        rec,
        {
          x: slice('x'),
          dy: slice('dy'),
          dx: slice('dx'),
          saveMean: slice('saveMean'),
          saveInvStd: slice('saveInvStd'),
          gamma: slice('gamma'),
          dgamma: slice('dgamma'),
          dbeta: slice('dbeta'),
        },
        shape,
        { mode: 'training' },
      );
    });
    const v = (name: string) => values[name] as Float32Array;
    const fwd = batchNormTrainRef(v('x'), shape, {
      gamma: v('gamma'),
      beta: v('beta'),
      runningMean: v('runningMean'),
      runningVar: v('runningVar'),
      epsilon: f32(EPS),
      decay: f32(DECAY),
    });
    const bwd = batchNormBackwardRef(v('x'), v('dy'), shape, { mode: 'training', gamma: v('gamma'), epsilon: f32(EPS) });
    const got = async (name: string, count: number) => download(ctx, slice(name), count);
    expectClose(await got('y', n), fwd.y, { rtol: RTOL, label: 'arena y' });
    expectClose(await got('runningVar', C), fwd.runningVar as Float64Array, { rtol: RTOL, label: 'arena running var' });
    expectClose(await got('dx', n), bwd.dx, { rtol: RTOL, label: 'arena dx' });
    expectClose(await got('dgamma', C), bwd.dgamma, { rtol: RTOL, label: 'arena dgamma' });
    expectClose(await got('dbeta', C), bwd.dbeta, { rtol: RTOL, label: 'arena dbeta' });
  });
});

describe('batch norm references', () => {
  // The training gradient flows through the batch mean and variance: finite differences of the whole forward.
  for (const shape of [
    { N: 2, C: 2, H: 2, W: 3 },
    { N: 1, C: 2, H: 1, W: 1 },
  ]) {
    it(`training backward matches finite differences of the forward ${JSON.stringify(shape)}`, () => {
      const n = total(shape);
      const x = Float64Array.from(rng.f32(n, -1, 2));
      const dy = Float64Array.from(rng.f32(n));
      const gamma = Float64Array.from(rng.f32(shape.C, 0.5, 1.5));
      const beta = Float64Array.from(rng.f32(shape.C));
      const loss = (xs: Float64Array, g: Float64Array, b: Float64Array) =>
        dot(batchNormTrainRef(xs, shape, { gamma: g, beta: b, epsilon: EPS }).y, dy);
      const ref = batchNormBackwardRef(x, dy, shape, { mode: 'training', gamma, epsilon: EPS });
      expectClose(
        ref.dx,
        finiteDifferences((v) => loss(v, gamma, beta), x),
        { rtol: 1e-6, floor: 1e-6, label: 'dx fd' },
      );
      expectClose(
        ref.dgamma,
        finiteDifferences((v) => loss(x, v, beta), gamma),
        { rtol: 1e-6, floor: 1e-6, label: 'dgamma fd' },
      );
      expectClose(
        ref.dbeta,
        finiteDifferences((v) => loss(x, gamma, v), beta),
        { rtol: 1e-6, label: 'dbeta fd' },
      );
    });
  }

  it('inference backward matches finite differences of the forward', () => {
    const shape = { N: 2, C: 3, H: 2, W: 1 };
    const n = total(shape);
    const x = Float64Array.from(rng.f32(n, -1, 2));
    const dy = Float64Array.from(rng.f32(n));
    const [gamma, beta, runningMean, runningVar] = [rng.f32(3, 0.5, 1.5), rng.f32(3), rng.f32(3), rng.f32(3, 0.5, 1.5)].map((a) =>
      Float64Array.from(a),
    ) as [Float64Array, Float64Array, Float64Array, Float64Array];
    const loss = (xs: Float64Array, g: Float64Array, b: Float64Array) =>
      dot(batchNormInferenceRef(xs, shape, { runningMean, runningVar, gamma: g, beta: b, epsilon: EPS }), dy);
    const ref = batchNormBackwardRef(x, dy, shape, { mode: 'inference', gamma, epsilon: EPS, runningMean, runningVar });
    expectClose(
      ref.dx,
      finiteDifferences((v) => loss(v, gamma, beta), x),
      { rtol: 1e-6, label: 'dx fd' },
    );
    expectClose(
      ref.dgamma,
      finiteDifferences((v) => loss(x, v, beta), gamma),
      { rtol: 1e-6, label: 'dgamma fd' },
    );
    expectClose(
      ref.dbeta,
      finiteDifferences((v) => loss(x, gamma, v), beta),
      { rtol: 1e-6, label: 'dbeta fd' },
    );
  });
});

describe('batch norm bad input', () => {
  const shape = { N: 2, C: 3, H: 2, W: 2 };
  const rec = () => new Recorder(ctx, 'bad input'); // never submitted: the wrappers throw before recording
  const c3 = () => poisoned(ctx, 3);
  const t = () => ({ x: poisoned(ctx, 24), y: poisoned(ctx, 24), saveMean: c3(), saveInvStd: c3() });

  it('names the operand, its size and the shape', () => {
    expect(() => batchNormTrain(rec(), { ...t(), x: poisoned(ctx, 10) }, shape)).toThrow(
      /batchNormTrain: x holds 10 floats but shape \[N 2, C 3, H 2, W 2\] needs 24/,
    );
    expect(() => batchNormTrain(rec(), { ...t(), saveInvStd: poisoned(ctx, 2) }, shape)).toThrow(/saveInvStd holds 2 floats/);
  });

  it('rejects half of a pair, bad hyperparameters, in-place calls and too many channels', () => {
    expect(() => batchNormTrain(rec(), { ...t(), gamma: c3() }, shape)).toThrow(/gamma is given without beta; pass both or neither/);
    expect(() => batchNormTrain(rec(), { ...t(), runningVar: c3() }, shape)).toThrow(/runningVar is given without runningMean/);
    expect(() => batchNormTrain(rec(), t(), shape, { decay: 1.5 })).toThrow(/decay = 1.5/);
    expect(() => batchNormTrain(rec(), t(), shape, { epsilon: 0 })).toThrow(/epsilon = 0/);
    expect(() => batchNormTrain(rec(), t(), { ...shape, W: 0 })).toThrow(/W = 0/);
    const both = poisoned(ctx, 48);
    expect(() => batchNormTrain(rec(), { ...t(), x: subSlice(both, 0, 96), y: subSlice(both, 64, 96) }, shape)).toThrow(
      /y and x overlap .*\(no in-place batch norm\)/,
    );
    const stats = c3();
    expect(() => batchNormTrain(rec(), { ...t(), saveMean: stats, saveInvStd: stats }, shape)).toThrow(/saveMean and saveInvStd overlap/);
    const wide = ctx.limits.maxComputeWorkgroupsPerDimension + 1;
    expect(() => batchNormTrain(rec(), t(), { N: 1, C: wide, H: 1, W: 1 })).toThrow(
      new RegExp(`C = ${wide} channels exceeds maxComputeWorkgroupsPerDimension`),
    );
  });

  it('backward names the statistics its mode needs and the affine operands', () => {
    const g = { x: poisoned(ctx, 24), dy: poisoned(ctx, 24), dx: poisoned(ctx, 24) };
    expect(() => batchNormBackward(rec(), { ...g, saveMean: c3() }, shape, { mode: 'training' })).toThrow(
      /mode 'training' needs saveMean and saveInvStd/,
    );
    expect(() => batchNormBackward(rec(), { ...g, saveMean: c3(), saveInvStd: c3() }, shape, { mode: 'inference' })).toThrow(
      /mode 'inference' needs runningMean and runningVar/,
    );
    expect(() =>
      batchNormBackward(rec(), { ...g, saveMean: c3(), saveInvStd: c3(), gamma: c3(), dgamma: c3() }, shape, { mode: 'training' }),
    ).toThrow(/needs gamma, dgamma and dbeta together; got 2/);
    expect(() => batchNormBackward(rec(), { ...g, dx: g.dy, saveMean: c3(), saveInvStd: c3() }, shape, { mode: 'training' })).toThrow(
      /dx and dy overlap/,
    );
  });
});
