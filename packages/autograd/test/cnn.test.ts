/**
 * A small CNN with every layer type of the ENAS child networks (conv, separable conv, batch norm, max/avg pooling,
 * global average pooling, linear, cross-entropy), written once for the GPU engine and the float64 twin: loss and
 * every parameter gradient must agree. Then: a toy task trains, one step is one submit, and memory is flat.
 */
import { type GpuContext, setDebugLevel, setDebugSink } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, finiteDifferences, Rng, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { heNormal } from '../src/nn/init.js';
import { batchNorm } from '../src/ops/batchnorm.js';
import { conv2d, depthwiseConv2d } from '../src/ops/conv.js';
import { add, relu } from '../src/ops/elementwise.js';
import { crossEntropy } from '../src/ops/loss.js';
import { linear } from '../src/ops/matmul.js';
import { avgPool2d, globalAvgPool, maxPool2d } from '../src/ops/pool.js';
import { SGD } from '../src/optim/sgd.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { type F64, f64 } from '../src/testing/reference-graph.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 3 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const [N, Cin, S, C, K] = [3, 2, 6, 4, 5];

interface CnnOps<T> {
  conv2d: (x: T, w: T, o?: { stride?: number; padding?: 'same' | 'valid' }, b?: T) => T;
  depthwise: (x: T, w: T) => T;
  bn: (x: T, g: T, b: T) => T;
  relu: (x: T) => T;
  add: (a: T, b: T) => T;
  maxPool: (x: T) => T;
  avgPool: (x: T) => T;
  gap: (x: T) => T;
  linear: (x: T, w: T, b: T) => T;
  loss: (logits: T) => T;
}
type CnnParams<T> = Record<'stem' | 'dw' | 'pw' | 'g1' | 'b1' | 'g2' | 'b2' | 'fc' | 'fcB', T>;

function cnn<T>(o: CnnOps<T>, p: CnnParams<T>, x: T): T {
  // (No conv bias before a batch norm: its exact gradient is zero, so it would test rounding noise.)
  const stem = o.relu(o.bn(o.conv2d(x, p.stem, { padding: 'same' }), p.g1, p.b1)); // [N, C, 6, 6]
  const sep = o.bn(o.conv2d(o.depthwise(o.relu(stem), p.dw), p.pw), p.g2, p.b2); // separable conv
  const down = o.maxPool(o.add(stem, sep)); // 3×3 stride 2 same: 3×3
  const smooth = o.avgPool(down); // 3×3 stride 1 same
  return o.loss(o.linear(o.gap(smooth), p.fc, p.fcB));
}

const rng = new Rng(21);
const init: CnnParams<Float32Array> = {
  stem: heNormal(rng, C * Cin * 9, Cin * 9),
  dw: heNormal(rng, C * 9, 9),
  pw: heNormal(rng, C * C, C),
  g1: rng.f32(C, 0.8, 1.2),
  b1: rng.f32(C, -0.1, 0.1),
  g2: rng.f32(C, 0.8, 1.2),
  b2: rng.f32(C, -0.1, 0.1),
  fc: rng.f32(C * K),
  fcB: rng.f32(K, -0.1, 0.1),
};
const shapes: Record<keyof typeof init, number[]> = {
  stem: [C, Cin, 3, 3],
  dw: [C, 3, 3],
  pw: [C, C, 1, 1],
  g1: [C],
  b1: [C],
  g2: [C],
  b2: [C],
  fc: [C, K],
  fcB: [K],
};
const images = rng.f32(N * Cin * S * S, -1, 1);
const labels = [0, 3, 4];

const gpuOps = (labelTensor: () => Tensor): CnnOps<Tensor> => ({
  conv2d: (x, w, o, b) => conv2d(x, w, o, b),
  depthwise: (x, w) => depthwiseConv2d(x, w),
  bn: (x, gamma, beta) => batchNorm(x, { gamma, beta, training: true }),
  relu,
  add,
  maxPool: (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' }),
  avgPool: (x) => avgPool2d(x, { kernelSize: 3, stride: 1, padding: 'same' }),
  gap: globalAvgPool,
  linear: (x, w, b) => linear(x, w, b),
  loss: (logits) => crossEntropy(logits, labelTensor()),
});

const refOps: CnnOps<F64> = {
  conv2d: f64.conv2d,
  depthwise: (x, w) => f64.depthwiseConv2d(x, w),
  bn: (x, g, b) => f64.batchNormTrain(x, g, b),
  relu: (x) => f64.activation('relu', x),
  add: f64.add,
  maxPool: (x) => f64.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' }),
  avgPool: (x) => f64.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 'same' }),
  gap: f64.globalAvgPool,
  linear: (x, w, b) => f64.matmul(x, w, {}, b),
  loss: (logits) => f64.crossEntropy(logits, labels),
};

function reference(values: Record<keyof typeof init, ArrayLike<number>>) {
  const p = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, f64.leaf(v, shapes[k as keyof typeof init])])) as CnnParams<F64>;
  const loss = cnn(refOps, p, f64.leaf(images, [N, Cin, S, S]));
  f64.backward(loss, [1]);
  return { p, loss };
}

describe('small CNN against float64', () => {
  it('loss and every parameter gradient match', async () => {
    const group = engine.group('cnn');
    const p = Object.fromEntries(
      Object.entries(init).map(([k, v]) => [k, group.parameter(v, shapes[k as keyof typeof init], k)]),
    ) as CnnParams<Tensor>;
    const step = engine.beginStep('cnn');
    group.zeroGrads();
    const loss = cnn(
      gpuOps(() => engine.input(Uint32Array.from(labels), [N], 'labels')),
      p,
      engine.input(images, [N, Cin, S, S], 'x'),
    );
    backward(loss);
    const value = step.read(loss);
    step.submit();
    const ref = reference(init);
    expectClose(await value, ref.loss.data, { label: 'loss' });
    for (const k of Object.keys(init) as (keyof typeof init)[]) {
      expectClose(await download(ctx, (p[k].grad as Tensor).data, p[k].size), ref.p[k].grad, { label: `grad ${k}` });
    }
  });

  it('the float64 model gradient matches finite differences', () => {
    const { p } = reference(init);
    for (const k of ['stem', 'pw', 'g2'] as const) {
      const loss = (v: Float64Array) => reference({ ...init, [k]: v }).loss.data[0] as number;
      expectClose(p[k].grad, finiteDifferences(loss, Float64Array.from(init[k])), { rtol: 1e-5, label: `${k} finite differences` });
    }
  });
});

describe('training with the engine', () => {
  it('a tiny CNN learns a toy task: loss below 0.2 within 60 steps', async () => {
    // Images whose class is which quadrant is brightest: learnable by conv + pooling + linear.
    const r = new Rng(8);
    const B = 8;
    const group = engine.group('toy');
    const p = {
      w: group.parameter(heNormal(r, 4 * 1 * 9, 9), [4, 1, 3, 3], 'w'),
      g: group.parameter(new Float32Array(4).fill(1), [4], 'g'),
      b: group.parameter(new Float32Array(4), [4], 'b'),
      fc: group.parameter(r.f32(4 * 4 * 4, -0.3, 0.3), [16, 4], 'fc'),
      fcB: group.parameter(new Float32Array(4), [4], 'fcB'),
    };
    const opt = new SGD(group, { lr: 0.1, momentum: 0.9, nesterov: true });
    const batch = () => {
      const x = new Float32Array(B * 64);
      const y = new Uint32Array(B);
      for (let i = 0; i < B; i++) {
        const q = r.int(0, 3);
        y[i] = q;
        for (let h = 0; h < 8; h++) {
          for (let w = 0; w < 8; w++) {
            const inQ = (h < 4 ? 0 : 2) + (w < 4 ? 0 : 1) === q;
            x[i * 64 + h * 8 + w] = (inQ ? 1 : 0) + 0.3 * r.normal();
          }
        }
      }
      return { x, y };
    };
    let last = Number.POSITIVE_INFINITY;
    for (let s = 0; s < 60; s++) {
      const { x, y } = batch();
      const step = engine.beginStep('toy');
      opt.zeroGrad();
      const h = relu(batchNorm(conv2d(engine.input(x, [B, 1, 8, 8], 'x'), p.w), { gamma: p.g, beta: p.b, training: true }));
      const pooled = avgPool2d(h, { kernelSize: 4, stride: 4, padding: 'valid' }); // [B, 4, 2, 2]
      const loss = crossEntropy(linear(pooled.reshape([B, 16]), p.fc, p.fcB), engine.input(y, [B], 'y'));
      backward(loss);
      opt.step();
      const v = step.read(loss);
      step.submit();
      last = ((await v)[0] as number) * 0.3 + (Number.isFinite(last) ? last * 0.7 : ((await v)[0] as number) * 0.7);
    }
    expect(last).toBeLessThan(0.2);
  });

  it('one training step is one submit, and 1000 steps allocate nothing after the first', async () => {
    const group = engine.group('steady');
    const w = group.parameter(heNormal(new Rng(4), 4 * 2 * 9, 18), [4, 2, 3, 3], 'w');
    const fc = group.parameter(new Rng(5).f32(4 * 3), [4, 3], 'fc');
    const opt = new SGD(group, { lr: 0.01, momentum: 0.9 });
    const x = new Rng(6).f32(2 * 2 * 5 * 5);
    const trainStep = () => {
      const step = engine.beginStep('steady');
      opt.zeroGrad();
      const h = globalAvgPool(relu(conv2d(engine.input(x, [2, 2, 5, 5], 'x'), w)));
      backward(crossEntropy(linear(h, fc), engine.input(Uint32Array.of(0, 2), [2], 'y')));
      opt.step();
      step.submit();
    };
    const submitsBefore = ctx.stats.submits;
    const lines: string[] = [];
    const previous = setDebugSink((l) => lines.push(l));
    setDebugLevel(1);
    try {
      trainStep();
    } finally {
      setDebugLevel(0);
      setDebugSink(previous);
    }
    expect(ctx.stats.submits - submitsBefore).toBe(1);
    expect(lines.filter((l) => l.startsWith('submit')).length).toBe(1);
    expect(lines.filter((l) => l.startsWith('dispatch')).length).toBeGreaterThan(10);

    for (let s = 0; s < 9; s++) trainStep();
    await ctx.sync();
    const bytesAtStep10 = ctx.stats.bytesAllocated;
    const buffersAtStep10 = ctx.stats.buffersAllocated;
    for (let s = 10; s < 1000; s++) trainStep();
    await ctx.sync();
    expect(ctx.stats.bytesAllocated).toBe(bytesAtStep10);
    expect(ctx.stats.buffersAllocated).toBe(buffersAtStep10);
  });
});
