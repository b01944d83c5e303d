/**
 * Convolutions (NCHW; weights [Cout, Cin, k, k], depthwise weights [C, k, k]; TF 'same'/'valid' padding).
 * Forward and the three gradients are implicit-GEMM kernels (wgsl-kernels ops/conv); `inputRelu` fuses a ReLU
 * of the input into all of them.
 */
import {
  type ConvPadding,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2d as conv2dKernel,
  convOutputSize,
  depthwiseConv2dBackwardInput,
  depthwiseConv2dBackwardWeight,
  depthwiseConv2d as depthwiseKernel,
} from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

export interface ConvOptions {
  stride?: number;
  padding?: ConvPadding;
  /**
   * Convolve relu(x): the ReLU happens as the kernels read x, and its backward as grad-input is stored, so
   * ENAS's ReLU before every convolution costs no tensor and no dispatch of its own. x's gradient is then the
   * gradient of the ReLU's input.
   */
  inputRelu?: boolean;
}

function nchw(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw new Error(`${op}: '${x.name}' must be NCHW (4-D), got [${x.shape.join(', ')}]`);
  return x.shape as unknown as [number, number, number, number];
}

/** y = conv2d(x, w) (+ bias). */
export function conv2d(x: Tensor, w: Tensor, o: ConvOptions = {}, bias?: Tensor): Tensor {
  const e = engineOf(x, w);
  const [N, Cin, H, W] = nchw('conv2d', x);
  if (w.shape.length !== 4 || w.shape[1] !== Cin || w.shape[2] !== w.shape[3]) {
    throw new Error(`conv2d: weights '${w.name}' must be [Cout, ${Cin}, k, k], got [${w.shape.join(', ')}]`);
  }
  const [Cout, , k] = w.shape as [number, number, number, number];
  const shape = { N, Cin, H, W, Cout, k, stride: o.stride ?? 1, padding: o.padding ?? 'same' };
  const { Hout, Wout } = convOutputSize(shape);
  const y = e.empty([N, Cout, Hout, Wout], `conv${k}x${k}`);
  const inputRelu = !!o.inputRelu;
  conv2dKernel(e.rec, { x: x.data, w: w.data, y: y.data, bias: bias?.data }, shape, { inputRelu });
  return record(inputRelu ? 'reluConv2d' : 'conv2d', bias ? [x, w, bias] : [x, w], y, (g) => {
    const dy = g.of(y);
    const dx = g.into(x);
    const dw = g.into(w);
    const db = bias ? g.into(bias) : undefined;
    if (dx) conv2dBackwardInput(e.rec, { dy, w: w.data, dx: dx.slice, x: x.data }, shape, { accumulate: dx.accumulate, inputRelu });
    if (dw) conv2dBackwardWeight(e.rec, { x: x.data, dy, dw: dw.slice }, shape, { accumulate: dw.accumulate, inputRelu });
    if (db) conv2dBackwardBias(e.rec, { dy, db: db.slice }, shape, { accumulate: db.accumulate });
  });
}

/** Depthwise convolution with channel multiplier 1: each channel with its own k×k filter. */
export function depthwiseConv2d(x: Tensor, w: Tensor, o: ConvOptions = {}): Tensor {
  const e = engineOf(x, w);
  const [N, C, H, W] = nchw('depthwiseConv2d', x);
  if (w.shape.length !== 3 || w.shape[0] !== C || w.shape[1] !== w.shape[2]) {
    throw new Error(`depthwiseConv2d: weights '${w.name}' must be [${C}, k, k], got [${w.shape.join(', ')}]`);
  }
  const k = w.shape[1] as number;
  const shape = { N, C, H, W, k, stride: o.stride ?? 1, padding: o.padding ?? 'same' };
  const { Hout, Wout } = convOutputSize(shape);
  const y = e.empty([N, C, Hout, Wout], `depthwise${k}x${k}`);
  const inputRelu = !!o.inputRelu;
  depthwiseKernel(e.rec, { x: x.data, w: w.data, y: y.data }, shape, { inputRelu });
  return record(inputRelu ? 'reluDepthwiseConv2d' : 'depthwiseConv2d', [x, w], y, (g) => {
    const dy = g.of(y);
    const dx = g.into(x);
    const dw = g.into(w);
    if (dx) {
      depthwiseConv2dBackwardInput(e.rec, { dy, w: w.data, dx: dx.slice, x: x.data }, shape, { accumulate: dx.accumulate, inputRelu });
    }
    if (dw) depthwiseConv2dBackwardWeight(e.rec, { x: x.data, dy, dw: dw.slice }, shape, { accumulate: dw.accumulate, inputRelu });
  });
}
