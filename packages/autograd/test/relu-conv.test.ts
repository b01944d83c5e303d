/**
 * conv2d and depthwiseConv2d with `inputRelu` equal the convolution of relu(x), value and gradients (x's gradient is
 * the ReLU input's), against the float64 twin, and record no ReLU dispatch of their own.
 */
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { conv2d, depthwiseConv2d } from '../src/ops/conv.js';
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

const rng = new Rng(13);

describe('convolutions with the input ReLU fused', () => {
  it('separable block relu → depthwise (stride 2) → relu → 1×1 conv matches the float64 twin', async () => {
    const [N, C, H, W, Cout] = [2, 3, 7, 6, 4];
    const v = { x: rng.f32(N * C * H * W), dw: rng.f32(C * 9), pw: rng.f32(Cout * C) };
    const shapes = { x: [N, C, H, W], dw: [C, 3, 3], pw: [Cout, C, 1, 1] } as const;
    const oh = Math.ceil(H / 2);
    const ow = Math.ceil(W / 2);
    const seed = rng.f32(N * Cout * oh * ow);

    const step = engine.beginStep('relu-conv');
    const p = Object.fromEntries(
      Object.entries(v).map(([k, d]) => [k, engine.parameter(d, shapes[k as keyof typeof shapes], k)]),
    ) as Record<keyof typeof v, Tensor>;
    const before = ctx.stats.dispatches;
    const mid = depthwiseConv2d(p.x, p.dw, { stride: 2, inputRelu: true });
    const y = conv2d(mid, p.pw, { inputRelu: true });
    expect(ctx.stats.dispatches - before, 'two convolutions, no ReLU dispatch').toBe(2);
    backward(y, upload(ctx, seed));
    step.submit();
    await ctx.sync();

    const r = Object.fromEntries(Object.entries(v).map(([k, d]) => [k, f64.leaf(d, shapes[k as keyof typeof shapes])])) as Record<
      keyof typeof v,
      F64
    >;
    const relu = (t: F64) => f64.activation('relu', t);
    const ry = f64.conv2d(relu(f64.depthwiseConv2d(relu(r.x), r.dw, { stride: 2 })), r.pw);
    f64.backward(ry, seed);

    expectClose(await download(ctx, y.data, y.size), ry.data, { label: 'output' });
    for (const k of Object.keys(v) as (keyof typeof v)[]) {
      expectClose(await download(ctx, (p[k].grad as Tensor).data, p[k].size), r[k].grad, { label: `grad ${k}` });
    }
  });
});
