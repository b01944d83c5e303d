import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { alignUp, subSlice } from '../../kernel/slice.js';
import { download, expectClose, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { conv2dBackwardRef, conv2dRef } from './conv.reference.js';
import { type Conv2dShape, type ConvPadding, convOutputSize } from './conv-shape.js';
import { conv2d } from './conv2d.js';
import { conv2dBackwardBias, conv2dBackwardBiasPlan } from './conv2d-backward-bias.js';
import { conv2dBackwardInput } from './conv2d-backward-input.js';
import { conv2dBackwardWeight, conv2dBackwardWeightPlan } from './conv2d-backward-weight.js';
import type { ConvGemmVariant } from './implicit-gemm.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

// Every sum here has at most Cin·k·k = 12·49 (forward, grad-input) or N·Hout·Wout = 3·81 (grad-weight, grad-bias)
// terms, so f32 stays within 1e-4 relative of float64 for all of them; no looser tolerance is needed.
const RTOL = 1e-4;
const rng = new Rng(7);

interface Case {
  readonly variant: ConvGemmVariant;
  readonly shape: Conv2dShape;
  readonly bias: boolean;
  /** Exercise `accumulate: true` on every pass of this case. */
  readonly accumulate: boolean;
  /** Forced reduction splits for grad-weight and grad-bias (1 = the direct path). */
  readonly splits: number;
  /** Convolve relu(x) (`inputRelu`): the passes read x through ReLU and grad-input is masked by x > 0. */
  readonly inputRelu?: boolean;
}

/** A random shape of the given geometry: N ≤ 3, channels ≤ 12 (never a tile multiple), H, W ≤ 9 (≥ k for 'valid'). */
function shapeOf(k: number, stride: number, padding: ConvPadding, fixed: Partial<Conv2dShape> = {}): Conv2dShape {
  const lo = padding === 'valid' ? k : 1;
  return {
    N: rng.int(1, 3),
    Cin: rng.int(1, 12),
    Cout: rng.int(1, 12),
    H: rng.int(lo, 9),
    W: rng.int(lo, 9),
    k,
    stride,
    padding,
    ...fixed,
  };
}

/**
 * The register variant (the CPU path) sweeps the geometry: every k from 1 to 7 appears, both strides, both
 * paddings, odd sizes at stride 2, even k (asymmetric 'same' padding), 1×1 images. The tiled variants (the GPU
 * path, slow to compile on lavapipe) take the cases that stress their tiling: several K steps, several row
 * tiles (Cout 37 > 32), 1×1 images, stride 2 on odd sizes, 'valid', k = 1.
 */
const CASES: Case[] = [
  { variant: 'register', shape: shapeOf(3, 1, 'same'), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(3, 2, 'same', { H: 9, W: 7 }), bias: true, accumulate: false, splits: 3 },
  { variant: 'register', shape: shapeOf(3, 1, 'same', { N: 1, H: 1, W: 1 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(3, 1, 'valid'), bias: false, accumulate: true, splits: 1 },
  { variant: 'register', shape: shapeOf(1, 1, 'same'), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(1, 2, 'valid', { H: 7, W: 8 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(5, 1, 'same'), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(5, 2, 'valid', { H: 8, W: 9 }), bias: true, accumulate: false, splits: 2 },
  { variant: 'register', shape: shapeOf(2, 1, 'same'), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(4, 2, 'same', { H: 7, W: 6 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(7, 1, 'same', { N: 1 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'register', shape: shapeOf(6, 2, 'valid', { N: 1, H: 9, W: 8 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'tiled-64x64', shape: shapeOf(3, 1, 'same', { N: 2, Cin: 11 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'tiled-64x64', shape: shapeOf(5, 2, 'valid', { H: 9, W: 7 }), bias: true, accumulate: true, splits: 3 },
  { variant: 'tiled-64x64', shape: shapeOf(1, 1, 'same', { Cin: 12, Cout: 5 }), bias: true, accumulate: false, splits: 1 },
  { variant: 'tiled-32x128', shape: shapeOf(3, 2, 'same', { N: 3, H: 9, W: 5 }), bias: true, accumulate: false, splits: 3 },
  { variant: 'tiled-32x128', shape: shapeOf(3, 2, 'same', { N: 2, H: 1, W: 1 }), bias: true, accumulate: false, splits: 3 },
  { variant: 'tiled-32x128', shape: shapeOf(1, 1, 'same', { Cin: 9, Cout: 37 }), bias: false, accumulate: false, splits: 2 },
  // The input ReLU fused into every pass (ENAS's ReLU before each convolution), on each variant.
  { variant: 'register', shape: shapeOf(3, 1, 'same'), bias: false, accumulate: false, splits: 1, inputRelu: true },
  { variant: 'register', shape: shapeOf(5, 2, 'valid', { H: 8, W: 9 }), bias: true, accumulate: true, splits: 2, inputRelu: true },
  { variant: 'tiled-64x64', shape: shapeOf(3, 1, 'same', { N: 2 }), bias: false, accumulate: false, splits: 3, inputRelu: true },
  { variant: 'tiled-32x128', shape: shapeOf(1, 1, 'same', { Cout: 37 }), bias: false, accumulate: true, splits: 1, inputRelu: true },
];

const relu = (x: Float32Array) => x.map((v) => Math.max(v, 0));

function sizes(s: Conv2dShape) {
  const o = convOutputSize(s);
  return { x: s.N * s.Cin * s.H * s.W, w: s.Cout * s.Cin * s.k * s.k, y: s.N * s.Cout * o.Hout * o.Wout };
}

/** Output buffer for one pass: NaN-poisoned, or random prior values when accumulating (returned for the check). */
function output(n: number, accumulate: boolean): { slice: ReturnType<typeof poisoned>; prior: Float32Array } {
  const prior = accumulate ? rng.f32(n) : new Float32Array(n);
  return { slice: accumulate ? upload(ctx, prior) : poisoned(ctx, n), prior };
}
const plus = (ref: Float64Array, prior: Float32Array) => ref.map((v, i) => v + (prior[i] as number));

describe.each(CASES)('conv2d $variant $shape.k×$shape.k stride $shape.stride $shape.padding, input ReLU $inputRelu', (c) => {
  const { shape, variant, accumulate } = c;
  const inputRelu = !!c.inputRelu;
  const n = sizes(shape);
  const x = rng.f32(n.x);
  // What the convolution sees, and ReLU's backward (the mask x > 0) for grad-input.
  const xSeen = inputRelu ? relu(x) : x;
  const mask = (dx: Float64Array) => (inputRelu ? dx.map((v, i) => ((x[i] as number) > 0 ? v : 0)) : dx);
  const w = rng.f32(n.w);
  const bias = rng.f32(shape.Cout);
  const dy = rng.f32(n.y);
  const opts = { variant, accumulate, inputRelu };
  const label = `${variant} ${JSON.stringify(shape)}${accumulate ? ' accumulate' : ''}${inputRelu ? ' input ReLU' : ''}`;

  it(`forward${c.bias ? ' with bias' : ''}`, async () => {
    const y = output(n.y, accumulate);
    const b = c.bias ? upload(ctx, bias) : undefined;
    await runOnGpu(ctx, (rec) => conv2d(rec, { x: upload(ctx, x), w: upload(ctx, w), y: y.slice, bias: b }, shape, opts));
    const ref = conv2dRef(xSeen, w, shape, c.bias ? bias : undefined);
    expectClose(await download(ctx, y.slice, n.y), plus(ref, y.prior), { rtol: RTOL, label: `forward ${label}` });
  });

  it('grad-input', async () => {
    const dx = output(n.x, accumulate);
    await runOnGpu(ctx, (rec) =>
      conv2dBackwardInput(rec, { w: upload(ctx, w), dy: upload(ctx, dy), dx: dx.slice, x: upload(ctx, x) }, shape, opts),
    );
    const ref = mask(conv2dBackwardRef(xSeen, w, dy, shape).dx);
    expectClose(await download(ctx, dx.slice, n.x), plus(ref, dx.prior), { rtol: RTOL, label: `dx ${label}` });
  });

  it(`grad-weight in ${c.splits} split(s)`, async () => {
    const dw = output(n.w, accumulate);
    await runOnGpu(ctx, (rec) =>
      conv2dBackwardWeight(rec, { x: upload(ctx, x), dy: upload(ctx, dy), dw: dw.slice }, shape, { ...opts, splits: c.splits }),
    );
    const ref = conv2dBackwardRef(xSeen, w, dy, shape).dw;
    expectClose(await download(ctx, dw.slice, n.w), plus(ref, dw.prior), { rtol: RTOL, label: `dw ${label}` });
  });

  it(`grad-bias in ${c.splits} split(s)`, async () => {
    const db = output(shape.Cout, accumulate);
    await runOnGpu(ctx, (rec) => conv2dBackwardBias(rec, { dy: upload(ctx, dy), db: db.slice }, shape, { accumulate, splits: c.splits }));
    const ref = conv2dBackwardRef(xSeen, w, dy, shape).db;
    expectClose(await download(ctx, db.slice, shape.Cout), plus(ref, db.prior), { rtol: RTOL, label: `db ${label}` });
  });
});

describe('conv2d grad-weight workspace', () => {
  it('uses a caller-given workspace for the partial sums', async () => {
    const shape = shapeOf(3, 1, 'same', { N: 2 });
    const n = sizes(shape);
    const [x, dy] = [rng.f32(n.x), rng.f32(n.y)];
    const dw = poisoned(ctx, n.w);
    const workspace = poisoned(ctx, 4 * n.w);
    await runOnGpu(ctx, (rec) =>
      conv2dBackwardWeight(rec, { x: upload(ctx, x), dy: upload(ctx, dy), dw, workspace }, shape, { variant: 'register', splits: 4 }),
    );
    expectClose(await download(ctx, dw, n.w), conv2dBackwardRef(x, new Float32Array(n.w), dy, shape).dw, { rtol: RTOL, label: 'dw' });
  });
});

describe('conv2d operands sharing one buffer', () => {
  // Regression: without a bias, the bias slot used to be bound to w; with y in w's buffer both became read_write
  // bindings of one range, which WebGPU rejects.
  it('runs without a bias when y lives in the buffer of x and w', async () => {
    const shape = shapeOf(3, 1, 'same', { N: 2 });
    const n = sizes(shape);
    const [x, w] = [rng.f32(n.x), rng.f32(n.w)];
    const align = ctx.storageAlignment;
    const wAt = alignUp(n.x * 4, align);
    const yAt = alignUp(wAt + n.w * 4, align);
    const whole = poisoned(ctx, (yAt + n.y * 4) / 4);
    ctx.writeBuffer(whole.buffer, 0, x);
    ctx.writeBuffer(whole.buffer, wAt, w);
    const y = subSlice(whole, yAt, n.y * 4);
    await runOnGpu(ctx, (rec) =>
      conv2d(rec, { x: subSlice(whole, 0, n.x * 4), w: subSlice(whole, wAt, n.w * 4), y }, shape, { variant: 'register' }),
    );
    expectClose(await download(ctx, y, n.y), conv2dRef(x, w, shape), { rtol: RTOL, label: 'y' });
  });
});

describe('conv2d defaults', () => {
  it('chooses the variant and split plan itself', async () => {
    const shape = shapeOf(3, 2, 'same', { N: 2, H: 7, W: 9 });
    const n = sizes(shape);
    const [x, w, bias, dy] = [rng.f32(n.x), rng.f32(n.w), rng.f32(shape.Cout), rng.f32(n.y)];
    const [y, dx, dw, db] = [poisoned(ctx, n.y), poisoned(ctx, n.x), poisoned(ctx, n.w), poisoned(ctx, shape.Cout)];
    await runOnGpu(ctx, (rec) => {
      conv2d(rec, { x: upload(ctx, x), w: upload(ctx, w), y, bias: upload(ctx, bias) }, shape);
      conv2dBackwardInput(rec, { w: upload(ctx, w), dy: upload(ctx, dy), dx }, shape);
      conv2dBackwardWeight(rec, { x: upload(ctx, x), dy: upload(ctx, dy), dw }, shape);
      conv2dBackwardBias(rec, { dy: upload(ctx, dy), db }, shape);
    });
    const ref = conv2dBackwardRef(x, w, dy, shape);
    expectClose(await download(ctx, y, n.y), conv2dRef(x, w, shape, bias), { rtol: RTOL, label: 'y' });
    expectClose(await download(ctx, dx, n.x), ref.dx, { rtol: RTOL, label: 'dx' });
    expectClose(await download(ctx, dw, n.w), ref.dw, { rtol: RTOL, label: 'dw' });
    expectClose(await download(ctx, db, shape.Cout), ref.db, { rtol: RTOL, label: 'db' });
  });

  it('plans split reductions that fill a GPU and cover the axis exactly once', () => {
    const gpu = { adapter: { isFallbackOrSoftware: false } } as GpuContext;
    // An ENAS child layer: batch 160, 36 channels, 32×32, 3×3 'same'.
    const enas: Conv2dShape = { N: 160, Cin: 36, H: 32, W: 32, Cout: 36, k: 3, stride: 1, padding: 'same' };
    const plan = conv2dBackwardWeightPlan(gpu, enas);
    const positions = 160 * 32 * 32;
    expect(plan.variant).toBe('tiled-64x64');
    expect(plan.splits).toBeGreaterThan(50);
    expect(plan.chunk % 16).toBe(0);
    expect((plan.splits - 1) * plan.chunk).toBeLessThan(positions);
    expect(plan.splits * plan.chunk).toBeGreaterThanOrEqual(positions);
    expect(plan.workspaceFloats).toBe(plan.splits * 36 * 36 * 9);
    const bias = conv2dBackwardBiasPlan(gpu, enas);
    expect(bias.splits).toBeGreaterThan(1);
    expect(bias.splits * bias.chunk).toBeGreaterThanOrEqual(160);
    // A CPU adapter splits only to keep each serial f32 sum under 4096 terms.
    const cpu = { adapter: { isFallbackOrSoftware: true } } as GpuContext;
    expect(conv2dBackwardWeightPlan(cpu, enas)).toMatchObject({ variant: 'register', splits: 40, chunk: 4096 });
    expect(conv2dBackwardWeightPlan(cpu, { ...enas, N: 2 })).toMatchObject({ splits: 1, workspaceFloats: 0 });
  });
});
