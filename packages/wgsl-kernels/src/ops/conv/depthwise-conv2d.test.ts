import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { download, expectClose, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { depthwiseConv2dBackwardRef, depthwiseConv2dRef } from './conv.reference.js';
import { type ConvPadding, convOutputSize, type DepthwiseConv2dShape } from './conv-shape.js';
import { depthwiseConv2d, depthwiseConv2dBackwardInput } from './depthwise-conv2d.js';
import { depthwiseConv2dBackwardWeight } from './depthwise-conv2d-backward-weight.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

// Forward and grad-input sum k·k ≤ 49 products; grad-weight sums N·Hout·Wout ≤ 3·81: 1e-4 relative holds for all.
const RTOL = 1e-4;
const rng = new Rng(11);

interface Case {
  readonly shape: DepthwiseConv2dShape;
  readonly accumulate: boolean;
  /** Forced batch splits for grad-weight (1 = the direct path). */
  readonly splits: number;
  /** Convolve relu(x) (`inputRelu`): forward and grad-weight read x through ReLU, grad-input is masked by x > 0. */
  readonly inputRelu?: boolean;
}

function shapeOf(k: number, stride: number, padding: ConvPadding, fixed: Partial<DepthwiseConv2dShape> = {}): DepthwiseConv2dShape {
  const lo = padding === 'valid' ? k : 1;
  return { N: rng.int(1, 3), C: rng.int(1, 12), H: rng.int(lo, 9), W: rng.int(lo, 9), k, stride, padding, ...fixed };
}

/** ENAS's separable convolutions use k = 3 and 5, 'same', strides 1 and 2; 'valid', k = 1, 4 (asymmetric padding), 7 and 1×1 images ride along. */
const CASES: Case[] = [
  { shape: shapeOf(3, 1, 'same'), accumulate: false, splits: 1 },
  { shape: shapeOf(3, 2, 'same', { H: 9, W: 7 }), accumulate: false, splits: 1 },
  { shape: shapeOf(5, 1, 'same', { N: 3 }), accumulate: false, splits: 2 },
  { shape: shapeOf(5, 2, 'same', { H: 7, W: 8 }), accumulate: false, splits: 1 },
  { shape: shapeOf(3, 1, 'same', { N: 1, H: 1, W: 1 }), accumulate: false, splits: 1 },
  { shape: shapeOf(5, 1, 'same', { N: 2, H: 1, W: 1 }), accumulate: false, splits: 2 },
  { shape: shapeOf(3, 2, 'valid', { H: 9, W: 8 }), accumulate: false, splits: 1 },
  { shape: shapeOf(7, 1, 'same'), accumulate: false, splits: 1 },
  { shape: shapeOf(4, 2, 'same', { H: 8, W: 9 }), accumulate: false, splits: 1 },
  { shape: shapeOf(1, 2, 'same', { H: 7, W: 6 }), accumulate: false, splits: 1 },
  { shape: shapeOf(3, 1, 'same', { N: 3 }), accumulate: true, splits: 1 },
  { shape: shapeOf(5, 2, 'same', { N: 3, H: 9, W: 9 }), accumulate: true, splits: 3 },
  // ENAS's separable convolution: ReLU, then the depthwise pass, the ReLU fused into it.
  { shape: shapeOf(3, 1, 'same'), accumulate: false, splits: 1, inputRelu: true },
  { shape: shapeOf(5, 2, 'same', { N: 3, H: 9, W: 7 }), accumulate: true, splits: 3, inputRelu: true },
  { shape: shapeOf(3, 2, 'valid', { H: 9, W: 8 }), accumulate: false, splits: 1, inputRelu: true },
];

const relu = (x: Float32Array) => x.map((v) => Math.max(v, 0));

function output(n: number, accumulate: boolean) {
  const prior = accumulate ? rng.f32(n) : new Float32Array(n);
  return { slice: accumulate ? upload(ctx, prior) : poisoned(ctx, n), prior };
}
const plus = (ref: Float64Array, prior: Float32Array) => ref.map((v, i) => v + (prior[i] as number));

describe.each(CASES)('depthwise conv2d $shape.k×$shape.k stride $shape.stride $shape.padding, input ReLU $inputRelu', (c) => {
  const { shape, accumulate } = c;
  const inputRelu = !!c.inputRelu;
  const o = convOutputSize(shape);
  const n = { x: shape.N * shape.C * shape.H * shape.W, w: shape.C * shape.k * shape.k, y: shape.N * shape.C * o.Hout * o.Wout };
  const x = rng.f32(n.x);
  // What the convolution sees, and ReLU's backward (the mask x > 0) for grad-input.
  const xSeen = inputRelu ? relu(x) : x;
  const mask = (dx: Float64Array) => (inputRelu ? dx.map((v, i) => ((x[i] as number) > 0 ? v : 0)) : dx);
  const w = rng.f32(n.w);
  const dy = rng.f32(n.y);
  const label = `${JSON.stringify(shape)}${accumulate ? ' accumulate' : ''}${inputRelu ? ' input ReLU' : ''}`;

  it('forward', async () => {
    const y = output(n.y, accumulate);
    await runOnGpu(ctx, (rec) =>
      depthwiseConv2d(rec, { x: upload(ctx, x), w: upload(ctx, w), y: y.slice }, shape, { accumulate, inputRelu }),
    );
    expectClose(await download(ctx, y.slice, n.y), plus(depthwiseConv2dRef(xSeen, w, shape), y.prior), {
      rtol: RTOL,
      label: `forward ${label}`,
    });
  });

  it('grad-input', async () => {
    const dx = output(n.x, accumulate);
    await runOnGpu(ctx, (rec) =>
      depthwiseConv2dBackwardInput(rec, { w: upload(ctx, w), dy: upload(ctx, dy), dx: dx.slice, x: upload(ctx, x) }, shape, {
        accumulate,
        inputRelu,
      }),
    );
    const ref = mask(depthwiseConv2dBackwardRef(xSeen, w, dy, shape).dx);
    expectClose(await download(ctx, dx.slice, n.x), plus(ref, dx.prior), { rtol: RTOL, label: `dx ${label}` });
  });

  it(`grad-weight in ${c.splits} split(s)`, async () => {
    const dw = output(n.w, accumulate);
    await runOnGpu(ctx, (rec) =>
      depthwiseConv2dBackwardWeight(rec, { x: upload(ctx, x), dy: upload(ctx, dy), dw: dw.slice }, shape, {
        accumulate,
        splits: c.splits,
        inputRelu,
      }),
    );
    const ref = depthwiseConv2dBackwardRef(xSeen, w, dy, shape).dw;
    expectClose(await download(ctx, dw.slice, n.w), plus(ref, dw.prior), { rtol: RTOL, label: `dw ${label}` });
  });
});
