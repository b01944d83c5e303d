/**
 * The layer classes compute what the ops compute on their parameters (checked against the float64 twin), keep
 * their running statistics, and switch behaviour between training and evaluation.
 */
import { type GpuContext, reference as R, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import {
  AvgPool,
  BatchNorm,
  Conv2d,
  Dropout,
  Embedding,
  GlobalAvgPool,
  type LayerContext,
  Linear,
  LSTMCell,
  MaxPool,
  SeparableConv,
} from '../src/nn/layers.js';
import { relu } from '../src/ops/elementwise.js';
import { crossEntropy } from '../src/ops/loss.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { type F64, f64 } from '../src/testing/reference-graph.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 2 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const values = async (t: Tensor) => f64.leaf(await download(ctx, t.data, t.size), t.shape);

describe('layers', () => {
  it('a CNN of layer classes matches the float64 twin on its own parameters, gradients included', async () => {
    const c: LayerContext = { engine, group: engine.group('layers-cnn'), rng: new Rng(4) };
    const conv = new Conv2d(c, 'conv', 2, 4, 3, { bias: true });
    const bn = new BatchNorm(c, 'bn', 4);
    const sep = new SeparableConv(c, 'sep', 4, 6, 3);
    const maxPool = new MaxPool({ kernelSize: 3, stride: 2, padding: 'same' });
    const avgPool = new AvgPool({ kernelSize: 3, stride: 1, padding: 'same' });
    const gap = new GlobalAvgPool();
    const drop = new Dropout(0.5).eval(); // evaluation: identity
    const fc = new Linear(c, 'fc', 6, 3);
    const r = new Rng(5);
    const x = r.f32(2 * 2 * 5 * 5);
    const labels = [1, 2];

    const step = engine.beginStep('layers');
    c.group.zeroGrads();
    const h = relu(bn.forward(conv.forward(engine.input(x, [2, 2, 5, 5], 'x'))));
    const logits = fc.forward(drop.forward(gap.forward(avgPool.forward(maxPool.forward(sep.forward(h))))));
    const loss = crossEntropy(logits, engine.input(Uint32Array.from(labels), [2], 'y'));
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const p: Record<string, F64> = {};
    for (const [name, t] of [
      ['cw', conv.weight],
      ['cb', conv.bias as Tensor],
      ['g', bn.gamma],
      ['b', bn.beta],
      ['dw', sep.depthwise.weight],
      ['pw', sep.pointwise.weight],
      ['fw', fc.weight],
      ['fb', fc.bias as Tensor],
    ] as const) {
      p[name] = await values(t);
    }
    const convOut = f64.conv2d(f64.leaf(x, [2, 2, 5, 5]), p.cw as F64, {}, p.cb);
    const rh = f64.activation('relu', f64.batchNormTrain(convOut, p.g, p.b));
    const rs = f64.conv2d(f64.depthwiseConv2d(rh, p.dw as F64), p.pw as F64);
    const rp = f64.avgPool2d(f64.maxPool2d(rs, { kernelSize: 3, stride: 2, padding: 'same' }), {
      kernelSize: 3,
      stride: 1,
      padding: 'same',
    });
    const rl = f64.crossEntropy(f64.matmul(f64.globalAvgPool(rp), p.fw as F64, {}, p.fb), labels);
    f64.backward(rl, [1]);
    expectClose(await lossValue, rl.data, { label: 'loss' });
    expectClose(await download(ctx, (sep.pointwise.weight.grad as Tensor).data, sep.pointwise.weight.size), (p.pw as F64).grad, {
      label: 'pointwise grad',
    });
    expectClose(await download(ctx, (bn.gamma.grad as Tensor).data, 4), (p.g as F64).grad, { label: 'gamma grad' });
    const fcBiasGrad = (fc.bias as Tensor).grad as Tensor;
    expectClose(await download(ctx, fcBiasGrad.data, 3), (p.fb as F64).grad, { label: 'fc bias grad' });

    // The running averages moved from (0, 1) toward the batch statistics: running = 0.9·running + 0.1·batch.
    const batch = R.batchNormTrainRef(convOut.data, { N: 2, C: 4, H: 5, W: 5 }, { epsilon: 1e-5 });
    expectClose(
      await download(ctx, bn.runningMean.data, 4),
      Float64Array.from(batch.mean, (m) => 0.1 * m),
      { rtol: 1e-4, label: 'running mean' },
    );
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['moving_mean', 'moving_variance']);
    expect(conv.parameterCount()).toBe(4 * 2 * 9 + 4);
  });

  it('evaluation mode: batch norm uses the running averages, dropout is the identity', async () => {
    const c: LayerContext = { engine, group: engine.group('layers-eval'), rng: new Rng(6) };
    const bn = new BatchNorm(c, 'bn-eval', 3).eval();
    const x = new Rng(7).f32(2 * 3 * 2 * 2);
    const step = engine.beginStep('eval');
    const y = step.read(bn.forward(engine.input(x, [2, 3, 2, 2], 'x')));
    step.submit();
    // Fresh running averages are mean 0, variance 1: y = x / sqrt(1 + ε).
    expectClose(
      await y,
      Float64Array.from(x, (v) => v / Math.sqrt(1 + 1e-5)),
      { label: 'inference-mode batch norm' },
    );
    expect(() => new Dropout(0)).toThrow(/keep probability 0/);
  });

  it('an LSTM cell layer over embeddings matches the twin', async () => {
    const c: LayerContext = { engine, group: engine.group('layers-lstm'), rng: new Rng(8) };
    const emb = new Embedding(c, 'emb', 7, 4);
    const cell = new LSTMCell(c, 'lstm', 4, 5, { bias: true });
    const ids = [3, 6];
    const step = engine.beginStep('lstm');
    c.group.zeroGrads();
    const zeros = engine.input(new Float32Array(10), [2, 5], 'zeros');
    const [h] = cell.forward(emb.forward(engine.input(Uint32Array.from(ids), [2], 'ids')), zeros, zeros);
    const out = step.read(h);
    step.submit();
    const table = await values(emb.table);
    const w = await values(cell.weight);
    const b = await values(cell.bias as Tensor);
    const x = f64.embedding(table, ids);
    const z = f64.leaf(new Float64Array(10), [2, 5]);
    const xh = f64.reshape(f64.concatChannels([f64.reshape(x, [2, 4, 1, 1]), f64.reshape(z, [2, 5, 1, 1])]), [2, 9]);
    const [rh] = f64.lstmCell(f64.matmul(xh, w, {}, b), z);
    expectClose(await out, rh.data, { label: 'h' });
  });
});
