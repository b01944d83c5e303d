import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import type { Recorder } from '../../kernel/recorder.js';
import { poisoned, runOnGpu, testContext } from '../../testing/index.js';
import { type Conv2dShape, type ConvPadding, convOutputLength, convOutputSize } from './conv-shape.js';
import { conv2d } from './conv2d.js';
import { conv2dBackwardBias } from './conv2d-backward-bias.js';
import { conv2dBackwardInput } from './conv2d-backward-input.js';
import { conv2dBackwardWeight, conv2dBackwardWeightPlan } from './conv2d-backward-weight.js';
import { depthwiseConv2d, depthwiseConv2dBackwardInput } from './depthwise-conv2d.js';
import { depthwiseConv2dBackwardWeight } from './depthwise-conv2d-backward-weight.js';

describe('convolution geometry (TensorFlow padding)', () => {
  // [size, k, stride, padding, out, padBefore]: 'same' = ceil(size / s) with the odd pad row after; 'valid' =
  // ceil((size − k + 1) / s), as tf.nn.conv2d documents.
  const table: [number, number, number, ConvPadding, number, number][] = [
    [5, 3, 2, 'same', 3, 1],
    [6, 3, 2, 'same', 3, 0],
    [7, 4, 1, 'same', 7, 1],
    [8, 4, 2, 'same', 4, 1],
    [1, 3, 1, 'same', 1, 1],
    [1, 5, 2, 'same', 1, 2],
    [8, 1, 2, 'same', 4, 0],
    [9, 1, 2, 'same', 5, 0],
    [32, 3, 1, 'same', 32, 1],
    [32, 5, 2, 'same', 16, 1],
    [7, 3, 2, 'valid', 3, 0],
    [8, 3, 2, 'valid', 3, 0],
    [5, 5, 1, 'valid', 1, 0],
  ];
  it.each(table)('size %i, k %i, stride %i, %s → out %i, pad before %i', (size, k, stride, padding, out, padBefore) => {
    expect(convOutputLength(size, k, stride, padding)).toEqual({ out, padBefore });
  });

  it('gives both axes', () => {
    expect(convOutputSize({ H: 5, W: 6, k: 3, stride: 2, padding: 'same' })).toEqual({ Hout: 3, Wout: 3, padTop: 1, padLeft: 0 });
  });
});

describe('convolution bad input', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await testContext();
  });
  afterAll(() => ctx?.destroy());

  const good: Conv2dShape = { N: 2, Cin: 3, H: 5, W: 5, Cout: 4, k: 3, stride: 1, padding: 'same' };
  const buffers = () => ({ x: poisoned(ctx, 150), w: poisoned(ctx, 108), y: poisoned(ctx, 200), small: poisoned(ctx, 10) });
  const rejects = (body: (rec: Recorder) => void, message: RegExp) => expect(runOnGpu(ctx, body)).rejects.toThrow(message);

  it("asks for x when a grad-input pass must apply the input ReLU's mask", async () => {
    const { w, y, x } = buffers();
    await rejects(
      (rec) => conv2dBackwardInput(rec, { w, dy: y, dx: x }, good, { inputRelu: true }),
      /conv2dBackwardInput: inputRelu needs x, the forward's input, for the ReLU mask/,
    );
    const dw = { N: 2, C: 3, H: 5, W: 5, k: 3, stride: 1, padding: 'same' } as const;
    await rejects(
      (rec) => depthwiseConv2dBackwardInput(rec, { w, dy: x, dx: poisoned(ctx, 150) }, dw, { inputRelu: true }),
      /depthwiseConv2dBackwardInput: inputRelu needs x, the forward's input, for the ReLU mask/,
    );
  });

  it('rejects unsupported kernel sizes, strides and paddings, naming the function and the fix', async () => {
    const { x, w, y } = buffers();
    await rejects(
      (rec) => conv2d(rec, { x, w, y }, { ...good, k: 9 }),
      /conv2d: kernel size k = 9 is not supported; use .*k between 1 and 7/,
    );
    await rejects((rec) => conv2d(rec, { x, w, y }, { ...good, stride: 3 }), /conv2d: stride 3 is not supported; use stride 1 or 2/);
    await rejects(
      (rec) => conv2d(rec, { x, w, y }, { ...good, padding: 'full' as ConvPadding }),
      /conv2d: padding 'full' is not supported; use 'same' or 'valid'/,
    );
    await rejects(
      (rec) => conv2d(rec, { x, w, y }, { ...good, k: 7, padding: 'valid' }),
      /conv2d: 'valid' padding needs H ≥ k and W ≥ k, got H=5 W=5 k=7/,
    );
    await rejects((rec) => conv2d(rec, { x, w, y }, { ...good, Cin: 0 }), /conv2d: Cin = 0; every dimension must be a positive integer/);
    await rejects(
      (rec) => depthwiseConv2d(rec, { x, w, y }, { N: 1, C: 2, H: 4, W: 4, k: 8, stride: 1, padding: 'same' }),
      /depthwiseConv2d: kernel size k = 8 is not supported/,
    );
    await rejects(
      (rec) => depthwiseConv2dBackwardWeight(rec, { x, dy: y, dw: w }, { N: 1, C: 2, H: 4, W: 4, k: 3, stride: 1.5, padding: 'same' }),
      /depthwiseConv2dBackwardWeight: stride 1.5 is not supported/,
    );
  });

  it('names the operand, its size and the shape when a buffer is too small', async () => {
    const { x, w, y, small } = buffers();
    await rejects(
      (rec) => conv2d(rec, { x: small, w, y }, good),
      /conv2d: operand 'x' holds 10 floats but shape N=2 Cin=3 H=5 W=5 .* needs 150 \(N·Cin·H·W\)/,
    );
    await rejects((rec) => conv2d(rec, { x, w: small, y }, good), /conv2d: operand 'w' holds 10 floats .* needs 108 \(Cout·Cin·k·k\)/);
    await rejects(
      (rec) => conv2d(rec, { x, w, y: small }, good),
      /conv2d: operand 'y' holds 10 floats .* needs 200 \(N·Cout·Hout·Wout with Hout=5 Wout=5\)/,
    );
    await rejects(
      (rec) => conv2d(rec, { x, w, y, bias: poisoned(ctx, 3) }, good),
      /conv2d: operand 'bias' holds 3 floats .* needs 4 \(Cout\)/,
    );
    await rejects((rec) => conv2dBackwardInput(rec, { w, dy: y, dx: small }, good), /conv2dBackwardInput: operand 'dx' holds 10 floats/);
    await rejects((rec) => conv2dBackwardWeight(rec, { x, dy: small, dw: w }, good), /conv2dBackwardWeight: operand 'dy' holds 10 floats/);
    await rejects(
      (rec) => conv2dBackwardBias(rec, { dy: y, db: poisoned(ctx, 2) }, good),
      /conv2dBackwardBias: operand 'db' holds 2 floats/,
    );
    const dwShape = { N: 2, C: 3, H: 5, W: 5, k: 5, stride: 2, padding: 'same' } as const;
    await rejects(
      (rec) => depthwiseConv2dBackwardInput(rec, { w: small, dy: y, dx: x }, dwShape),
      /depthwiseConv2dBackwardInput: operand 'w' holds 10 floats but shape N=2 C=3 .* needs 75 \(C·k·k\)/,
    );
  });

  it('rejects a workspace too small for the partial sums', async () => {
    const { x, w, y, small } = buffers();
    const plan = conv2dBackwardWeightPlan(ctx, good, { splits: 5, variant: 'register' });
    expect(plan.splits).toBe(5);
    expect(plan.workspaceFloats).toBe(5 * 108);
    await rejects(
      (rec) => conv2dBackwardWeight(rec, { x, dy: y, dw: w, workspace: small }, good, { splits: 5, variant: 'register' }),
      /conv2dBackwardWeight: workspace holds 10 floats but 5 partial sums need 540/,
    );
  });

  it('rejects an output that overlaps an input', async () => {
    const { x, w } = buffers();
    await rejects((rec) => conv2d(rec, { x, w, y: x }, { ...good, Cout: 3 }), /conv2d: output 'y' overlaps input 'x'/);
  });
});
