/**
 * Convolution shapes: the geometry of 'same' and 'valid' padding, and the checks every convolution wrapper runs
 * before it dispatches anything.
 *
 * Padding follows TensorFlow (tf.nn.conv2d), because the official ENAS code is TensorFlow and its weights and
 * activations must line up with ours:
 *   'same':  out = ceil(in / s),          pad_total = max((out − 1)·s + k − in, 0),
 *            pad_before = floor(pad_total / 2), the odd extra row/column after (bottom/right);
 *   'valid': out = floor((in − k) / s) + 1, no padding (needs in ≥ k).
 * Kernels receive pad_before only: reads outside [0, in) are zeros, so pad_after needs no number of its own.
 */
import type { BufferSlice } from '../../kernel/slice.js';

export type ConvPadding = 'same' | 'valid';

/** Square kernel sizes the convolution kernels implement (the size is compiled into the pipeline). */
export const CONV_KERNEL_SIZES = [1, 2, 3, 4, 5, 6, 7] as const;
export const CONV_STRIDES = [1, 2] as const;

/** A 2-D convolution: input [N, Cin, H, W], weights [Cout, Cin, k, k], output [N, Cout, Hout, Wout]. */
export interface Conv2dShape {
  readonly N: number;
  readonly Cin: number;
  readonly H: number;
  readonly W: number;
  readonly Cout: number;
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
}

/** A depthwise convolution (channel multiplier 1): input [N, C, H, W], weights [C, k, k], output [N, C, Hout, Wout]. */
export interface DepthwiseConv2dShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
}

/** Spatial geometry of a convolution. */
export interface ConvOutputSize {
  readonly Hout: number;
  readonly Wout: number;
  /** Zero rows above the input (the extra row of odd padding goes below). */
  readonly padTop: number;
  /** Zero columns left of the input (the extra column of odd padding goes right). */
  readonly padLeft: number;
}

/** Output length and leading padding along one axis, TensorFlow semantics (see the file comment). */
export function convOutputLength(size: number, k: number, stride: number, padding: ConvPadding): { out: number; padBefore: number } {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const padTotal = Math.max((out - 1) * stride + k - size, 0);
    return { out, padBefore: Math.floor(padTotal / 2) };
  }
  return { out: Math.floor((size - k) / stride) + 1, padBefore: 0 };
}

/** Output size and padding of a convolution (conv2d or depthwise) of the given geometry. */
export function convOutputSize(s: {
  readonly H: number;
  readonly W: number;
  readonly k: number;
  readonly stride: number;
  readonly padding: ConvPadding;
}): ConvOutputSize {
  const h = convOutputLength(s.H, s.k, s.stride, s.padding);
  const w = convOutputLength(s.W, s.k, s.stride, s.padding);
  return { Hout: h.out, Wout: w.out, padTop: h.padBefore, padLeft: w.padBefore };
}

/**
 * True when some tap can fall outside the input: 'same' padding with k > 1. A 1×1 kernel never pads ('same' gives
 * pad_total = 0 for k = 1 at strides 1 and 2) and 'valid' never reads outside, so those compile no check.
 */
export const needsBoundsCheck = (k: number, padding: ConvPadding): boolean => padding === 'same' && k > 1;

/** Everything a conv2d kernel needs, derived once from the shape. */
export interface ResolvedConv2d extends Conv2dShape, ConvOutputSize {
  /** Input pixels per channel plane, H·W. */
  readonly HW: number;
  /** Output pixels per channel plane, Hout·Wout. */
  readonly HWout: number;
  /** Taps per (output, input) channel pair, k·k. */
  readonly KK: number;
  readonly text: string;
}

export interface ResolvedDepthwise extends DepthwiseConv2dShape, ConvOutputSize {
  readonly HW: number;
  readonly HWout: number;
  readonly KK: number;
  readonly text: string;
}

function checkGeometry(
  fn: string,
  dims: Record<string, number>,
  k: number,
  stride: number,
  padding: ConvPadding,
  H: number,
  W: number,
): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} = ${v}; every dimension must be a positive integer`);
  }
  if (!(CONV_KERNEL_SIZES as readonly number[]).includes(k)) {
    throw new Error(`${fn}: kernel size k = ${k} is not supported; use a square kernel with k between 1 and 7`);
  }
  if (!(CONV_STRIDES as readonly number[]).includes(stride)) {
    throw new Error(`${fn}: stride ${stride} is not supported; use stride 1 or 2 (or pool after a stride-1 convolution)`);
  }
  if (padding !== 'same' && padding !== 'valid') {
    throw new Error(`${fn}: padding '${padding}' is not supported; use 'same' or 'valid'`);
  }
  if (padding === 'valid' && (H < k || W < k)) {
    throw new Error(`${fn}: 'valid' padding needs H ≥ k and W ≥ k, got H=${H} W=${W} k=${k}; use 'same' padding or a smaller kernel`);
  }
}

export function resolveConv2dShape(fn: string, s: Conv2dShape): ResolvedConv2d {
  checkGeometry(fn, { N: s.N, Cin: s.Cin, H: s.H, W: s.W, Cout: s.Cout }, s.k, s.stride, s.padding, s.H, s.W);
  const out = convOutputSize(s);
  const text = `N=${s.N} Cin=${s.Cin} H=${s.H} W=${s.W} Cout=${s.Cout} k=${s.k} stride=${s.stride} padding='${s.padding}'`;
  return { ...s, ...out, HW: s.H * s.W, HWout: out.Hout * out.Wout, KK: s.k * s.k, text };
}

export function resolveDepthwiseShape(fn: string, s: DepthwiseConv2dShape): ResolvedDepthwise {
  checkGeometry(fn, { N: s.N, C: s.C, H: s.H, W: s.W }, s.k, s.stride, s.padding, s.H, s.W);
  const out = convOutputSize(s);
  const text = `N=${s.N} C=${s.C} H=${s.H} W=${s.W} k=${s.k} stride=${s.stride} padding='${s.padding}'`;
  return { ...s, ...out, HW: s.H * s.W, HWout: out.Hout * out.Wout, KK: s.k * s.k, text };
}

/** Throws unless `slice` holds at least `floats` f32 values; names the function, operand, shape and layout. */
export function checkOperand(fn: string, name: string, slice: BufferSlice, floats: number, layout: string, shapeText: string): void {
  if (slice.size < floats * 4) {
    throw new Error(
      `${fn}: operand '${name}' holds ${Math.floor(slice.size / 4)} floats but shape ${shapeText} needs ${floats} (${layout}); ` +
        `pass a slice of at least ${floats * 4} bytes`,
    );
  }
}

/**
 * Throws when an output range overlaps an input range of the same buffer: each output element is computed from
 * many input elements, so writing in place would read values already overwritten by other invocations.
 */
export function checkNoOverlap(fn: string, output: [string, BufferSlice], inputs: [string, BufferSlice | undefined][]): void {
  const [outName, o] = output;
  for (const [name, s] of inputs) {
    if (s && s.buffer === o.buffer && s.offset < o.offset + o.size && o.offset < s.offset + s.size) {
      throw new Error(
        `${fn}: output '${outName}' overlaps input '${name}' in buffer '${o.buffer.label}'; write the result to a separate range`,
      );
    }
  }
}
