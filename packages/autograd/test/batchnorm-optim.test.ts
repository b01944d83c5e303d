import { type GpuContext, reference as R } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { batchNorm } from '../src/ops/batchnorm.js';
import { add, mul, relu } from '../src/ops/elementwise.js';
import { mean, sum } from '../src/ops/reduce.js';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { f64 } from '../src/testing/reference-graph.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx);
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const rng = new Rng(11);

describe('batch norm and reductions against float64', () => {
  it('loss = mean(relu(BN(x)) ⊙ m) + sum(BN(x)): value and gradients of x, gamma, beta', async () => {
    const [N, C, H, W] = [3, 4, 3, 2];
    const xv = rng.f32(N * C * H * W, -2, 3);
    const gv = rng.f32(C, 0.5, 1.5);
    const bv = rng.f32(C);
    const mv = rng.f32(N * C * H * W);
    const step = engine.beginStep('bn');
    const group = engine.group('bn-test');
    const x = group.parameter(xv, [N, C, H, W], 'x');
    const gamma = group.parameter(gv, [C], 'gamma');
    const beta = group.parameter(bv, [C], 'beta');
    const m = engine.input(mv, [N, C, H, W], 'm');
    const y = batchNorm(x, { gamma, beta, training: true });
    const loss = add(mean(mul(relu(y), m)), sum(y));
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const rx = f64.leaf(xv, [N, C, H, W]);
    const rg = f64.leaf(gv, [C]);
    const rb = f64.leaf(bv, [C]);
    const ry = f64.batchNormTrain(rx, rg, rb);
    const rloss = f64.add(f64.mean(f64.mul(f64.activation('relu', ry), f64.leaf(mv, [N, C, H, W]))), f64.sum(ry));
    f64.backward(rloss, [1]);
    expectClose(await lossValue, rloss.data, { label: 'loss' });
    expectClose(await download(ctx, (x.grad as Tensor).data, x.size), rx.grad, { label: 'dx' });
    expectClose(await download(ctx, (gamma.grad as Tensor).data, C), rg.grad, { label: 'dgamma' });
    expectClose(await download(ctx, (beta.grad as Tensor).data, C), rb.grad, { label: 'dbeta' });
  });
});

describe('optimizers over a parameter group', () => {
  it('SGD with Nesterov momentum, weight decay and global-norm clipping matches the reference over 3 steps', async () => {
    const n = 37;
    const w0 = rng.f32(n);
    const group = engine.group('sgd-test');
    const w = group.parameter(w0, [n], 'w');
    const opt = new SGD(group, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 2e-3, clipNorm: 0.5 });
    let ref: Float64Array = Float64Array.from(w0);
    let acc: Float64Array = new Float64Array(n);
    for (let s = 0; s < 3; s++) {
      const target = rng.f32(n);
      const step = engine.beginStep('sgd');
      opt.zeroGrad();
      // loss = Σ w ⊙ t  →  grad = t
      backward(sum(mul(w, engine.input(target, [n], 't'))));
      opt.step();
      step.submit();
      const scale = R.clipScaleRef(Math.hypot(...target), 0.5);
      const r = R.sgdMomentumRef(ref, acc, target, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 2e-3, gradScale: scale });
      ref = r.param;
      acc = r.accum;
    }
    expectClose(await download(ctx, w.data, n), ref, { label: 'w after 3 steps' });
  });

  it('Adam (β1 = 0, ε = 1e-3, as the ENAS controller) matches the reference over 3 steps', async () => {
    const n = 19;
    const w0 = rng.f32(n);
    const group = engine.group('adam-test');
    const w = group.parameter(w0, [n], 'w');
    const opt = new Adam(group, { lr: 0.0035, beta1: 0, beta2: 0.999, epsilon: 1e-3 });
    let ref: { param: Float64Array; m: Float64Array; v: Float64Array } = {
      param: Float64Array.from(w0),
      m: new Float64Array(n),
      v: new Float64Array(n),
    };
    for (let s = 1; s <= 3; s++) {
      const target = rng.f32(n);
      const step = engine.beginStep('adam');
      opt.zeroGrad();
      backward(sum(mul(w, engine.input(target, [n], 't'))));
      opt.step();
      step.submit();
      ref = R.adamRef(ref.param, ref.m, ref.v, target, { lr: 0.0035, step: s, beta1: 0, beta2: 0.999, epsilon: 1e-3 });
    }
    expectClose(await download(ctx, w.data, n), ref.param, { label: 'w after 3 Adam steps' });
  });

  it('accumulates gradients over several steps until the update (averaging over sampled architectures)', async () => {
    const n = 8;
    const group = engine.group('accumulate');
    const w = group.parameter(new Float32Array(n), [n], 'w');
    const opt = new SGD(group, { lr: 1 });
    const targets = [rng.f32(n), rng.f32(n), rng.f32(n)];
    targets.forEach((target, i) => {
      const step = engine.beginStep(`part ${i}`);
      if (i === 0) opt.zeroGrad();
      backward(sum(mul(w, engine.input(target, [n], 't'))));
      if (i === targets.length - 1) opt.step();
      step.submit();
    });
    const expected = Float64Array.from({ length: n }, (_, j) => -targets.reduce((s, t) => s + (t[j] as number), 0));
    expectClose(await download(ctx, w.data, n), expected, { label: 'w after one update from three steps' });
    expect(group.gradsLive).toBe(false);
  });

  it('refuses to update without zeroGrad in the step', () => {
    const group = engine.group('forgetful');
    group.parameter(new Float32Array(4), [4], 'w');
    const opt = new SGD(group, { lr: 0.1 });
    engine.beginStep('no-zero');
    expect(() => opt.step()).toThrow(/call zeroGrad\(\) before backward/);
  });

  it('writes the learning rate only when it changes', () => {
    const group = engine.group('lr-writes');
    group.parameter(new Float32Array(4), [4], 'w');
    const opt = new SGD(group, { lr: 0.1 });
    const before = ctx.stats.bytesWritten;
    opt.setLearningRate(0.1);
    expect(ctx.stats.bytesWritten).toBe(before);
    opt.setLearningRate(0.05);
    expect(ctx.stats.bytesWritten).toBe(before + 4);
  });
});
