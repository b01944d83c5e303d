import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { mul } from '../src/ops/elementwise.js';
import { avgPool2d, globalAvgPool, maxPool2d } from '../src/ops/pool.js';
import { concatChannels, stridedSample } from '../src/ops/shape.js';
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

interface Ops<T> {
  maxPool2d: (x: T, o: { kernelSize: number; stride: number; padding: 'same' | 'valid' }) => T;
  avgPool2d: (x: T, o: { kernelSize: number; stride: number; padding: 'same' | 'valid' }) => T;
  globalAvgPool: (x: T) => T;
  concatChannels: (xs: T[]) => T;
  stridedSample: (x: T, stride: number, offset: number) => T;
  mul: (a: T, b: T) => T;
}

/** Factorized-reduction-like paths, pools and a concat, with x feeding several consumers. */
function net<T>(o: Ops<T>, x: T, w: T): T {
  const p1 = o.stridedSample(x, 2, 0);
  const p2 = o.stridedSample(x, 2, 1);
  const pooled = o.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' });
  const smooth = o.avgPool2d(pooled, { kernelSize: 3, stride: 1, padding: 'same' });
  const cat = o.concatChannels([p1, p2, smooth, o.mul(p1, p2)]);
  const aux = o.avgPool2d(cat, { kernelSize: 2, stride: 2, padding: 'valid' });
  return o.mul(o.globalAvgPool(aux), w);
}

describe('pooling and shape ops against float64', () => {
  it('gradients through strided samples, pools, concat and global average match', async () => {
    const rng = new Rng(3);
    const [N, C, H, W] = [2, 3, 7, 7];
    const xv = rng.f32(N * C * H * W);
    const wv = rng.f32(N * 4 * C);
    const seed = rng.f32(N * 4 * C);

    const step = engine.beginStep('pool');
    const x = engine.parameter(xv, [N, C, H, W], 'x');
    const w = engine.parameter(wv, [N, 4 * C], 'w');
    const gpuOps: Ops<Tensor> = { maxPool2d, avgPool2d, globalAvgPool, concatChannels, stridedSample, mul };
    const y = net(gpuOps, x, w);
    backward(y, upload(ctx, seed));
    step.submit();
    await ctx.sync();

    const rx = f64.leaf(xv, [N, C, H, W]);
    const rw = f64.leaf(wv, [N, 4 * C]);
    const refOps: Ops<F64> = {
      maxPool2d: f64.maxPool2d,
      avgPool2d: f64.avgPool2d,
      globalAvgPool: f64.globalAvgPool,
      concatChannels: f64.concatChannels,
      stridedSample: f64.stridedSample,
      mul: f64.mul,
    };
    const ry = net(refOps, rx, rw);
    f64.backward(ry, seed);
    expectClose(await download(ctx, y.data, y.size), ry.data, { label: 'output' });
    expectClose(await download(ctx, (x.grad as Tensor).data, x.size), rx.grad, { label: 'dx' });
    expectClose(await download(ctx, (w.grad as Tensor).data, w.size), rw.grad, { label: 'dw' });
  });
});
