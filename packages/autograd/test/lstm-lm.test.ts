/**
 * A 2-layer LSTM language model (embedding → LSTM → LSTM → projection → cross-entropy, unrolled over T steps),
 * written once against a small ops interface and run on the GPU engine and on the float64 twin: the loss and the
 * gradient of every parameter must agree.
 */
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, finiteDifferences, Rng, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { crossEntropy } from '../src/ops/loss.js';
import { linear } from '../src/ops/matmul.js';
import { embedding, lstmCell } from '../src/ops/sequence.js';
import { concatChannels } from '../src/ops/shape.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { type F64, f64 } from '../src/testing/reference-graph.js';

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

const [V, D, H, B, T] = [11, 6, 5, 3, 4];

interface LmOps<T> {
  embedding: (table: T, ids: number[]) => T;
  concat: (a: T, b: T) => T;
  linear: (x: T, w: T, b?: T) => T;
  lstm: (pre: T, c: T) => [T, T];
  zeros: (shape: number[]) => T;
  stackRows: (xs: T[]) => T;
  crossEntropy: (logits: T, labels: number[]) => T;
}

interface LmParams<T> {
  emb: T;
  w1: T;
  b1: T;
  w2: T;
  wOut: T;
  bOut: T;
}

function languageModel<T>(o: LmOps<T>, p: LmParams<T>, tokens: number[], targets: number[]): T {
  let [h1, c1, h2, c2] = [o.zeros([B, H]), o.zeros([B, H]), o.zeros([B, H]), o.zeros([B, H])];
  const outs: T[] = [];
  for (let t = 0; t < T; t++) {
    const x = o.embedding(p.emb, tokens.slice(t * B, (t + 1) * B)); // [B, D]
    [h1, c1] = o.lstm(o.linear(o.concat(x, h1), p.w1, p.b1), c1);
    [h2, c2] = o.lstm(o.linear(o.concat(h1, h2), p.w2), c2);
    outs.push(h2);
  }
  const logits = o.linear(o.stackRows(outs), p.wOut, p.bOut); // [T·B, V]
  return o.crossEntropy(logits, targets);
}

const rng = new Rng(99);
const tokens = Array.from({ length: T * B }, () => rng.int(0, V - 1));
const targets = Array.from({ length: T * B }, () => rng.int(0, V - 1));
const init = {
  emb: rng.f32(V * D),
  w1: rng.f32((D + H) * 4 * H, -0.5, 0.5),
  b1: rng.f32(4 * H),
  w2: rng.f32(2 * H * 4 * H, -0.5, 0.5),
  wOut: rng.f32(H * V),
  bOut: rng.f32(V),
};
const shapes = { emb: [V, D], w1: [D + H, 4 * H], b1: [4 * H], w2: [2 * H, 4 * H], wOut: [H, V], bOut: [V] };

const refOps: LmOps<F64> = {
  embedding: (table, ids) => f64.embedding(table, ids),
  concat: (a, b) => {
    const [n, da] = a.shape as [number, number];
    const db = b.shape[1] as number;
    return f64.reshape(f64.concatChannels([f64.reshape(a, [n, da, 1, 1]), f64.reshape(b, [n, db, 1, 1])]), [n, da + db]);
  },
  linear: (x, w, b) => f64.matmul(x, w, {}, b),
  lstm: f64.lstmCell,
  zeros: (shape) => f64.leaf(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape),
  stackRows: (xs) => {
    const n = xs[0]?.shape[1] as number;
    return f64.reshape(f64.concatChannels(xs.map((x) => f64.reshape(x, [1, x.shape[0] as number, 1, n]))), [
      xs.length * (xs[0]?.shape[0] as number),
      n,
    ]);
  },
  crossEntropy: (logits, labels) => f64.crossEntropy(logits, labels),
};

function referenceModel(values: Record<keyof typeof init, ArrayLike<number>>) {
  const p = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, f64.leaf(v, shapes[k as keyof typeof shapes])]),
  ) as unknown as LmParams<F64>;
  const loss = languageModel(refOps, p, tokens, targets);
  f64.backward(loss, [1]);
  return { p, loss };
}

describe('2-layer LSTM language model against float64', () => {
  it('loss and the gradient of every parameter match', async () => {
    const step = engine.beginStep('lm');
    const group = engine.group('lm');
    const p = Object.fromEntries(
      Object.entries(init).map(([k, v]) => [k, group.parameter(v, shapes[k as keyof typeof shapes], k)]),
    ) as unknown as LmParams<Tensor>;
    group.zeroGrads();
    const gpuOps: LmOps<Tensor> = {
      embedding: (table, ids) => embedding(table, engine.input(Uint32Array.from(ids), [ids.length], 'ids')),
      concat: (a, b) => {
        const [n, da] = a.shape as [number, number];
        const db = b.shape[1] as number;
        return concatChannels([a.reshape([n, da, 1, 1]), b.reshape([n, db, 1, 1])]).reshape([n, da + db]);
      },
      linear: (x, w, b) => linear(x, w, b),
      lstm: lstmCell,
      zeros: (shape) => engine.input(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, 'zeros'),
      stackRows: (xs) => {
        const n = xs[0]?.shape[1] as number;
        return concatChannels(xs.map((x) => x.reshape([1, x.shape[0] as number, 1, n]))).reshape([
          xs.length * (xs[0]?.shape[0] as number),
          n,
        ]);
      },
      crossEntropy: (logits, labels) => crossEntropy(logits, engine.input(Uint32Array.from(labels), [labels.length], 'labels')),
    };
    const loss = languageModel(gpuOps, p, tokens, targets);
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const ref = referenceModel(init);
    expectClose(await lossValue, ref.loss.data, { label: 'loss' });
    for (const k of Object.keys(init) as (keyof typeof init)[]) {
      const t = p[k];
      expectClose(await download(ctx, (t.grad as Tensor).data, t.size), ref.p[k].grad, { label: `grad ${k}` });
    }
  });

  it('the float64 model gradient matches finite differences', () => {
    const { p } = referenceModel(init);
    const loss = (w1: Float64Array) => referenceModel({ ...init, w1 }).loss.data[0] as number;
    expectClose(p.w1.grad, finiteDifferences(loss, Float64Array.from(init.w1)), { rtol: 1e-5, label: 'w1 finite differences' });
  });
});
