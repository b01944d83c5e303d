/**
 * Window geometry shared by the max and average pooling kernels: output sizes, TensorFlow 'same'/'valid'
 * padding, and the two WGSL helpers every pooling kernel walks windows with.
 *
 * Padding follows TensorFlow (tf.nn.max_pool / avg_pool), which the official ENAS code calls:
 *   'same':  out = ceil(size / stride), padTotal = max((out − 1)·stride + k − size, 0), padBefore = floor(padTotal / 2)
 *            (the odd extra row/column goes after, at the bottom/right);
 *   'valid': out = floor((size − k) / stride) + 1, no padding; the input must be at least k.
 * Padded positions never take part: max ignores them (they do not act as 0 or −∞ values) and the average divides
 * by the number of in-bounds elements. With these paddings every window holds at least one in-bounds element.
 */
import type { BufferSlice } from '../../kernel/slice.js';

export type PoolPadding = 'same' | 'valid';

/** A 2-D pooling problem: NCHW input, square window, equal strides. */
export interface Pool2dShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** Window side k (k×k). */
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: PoolPadding;
}

/** Output length and leading padding of one spatial axis. */
export interface PoolAxis {
  readonly out: number;
  readonly padBefore: number;
}

/** Output size of one axis, or undefined when 'valid' leaves nothing (size < kernel). */
export function poolAxis(size: number, kernelSize: number, stride: number, padding: PoolPadding): PoolAxis | undefined {
  if (padding === 'valid') {
    if (size < kernelSize) return undefined;
    return { out: Math.floor((size - kernelSize) / stride) + 1, padBefore: 0 };
  }
  const out = Math.ceil(size / stride);
  const padTotal = Math.max((out - 1) * stride + kernelSize - size, 0);
  return { out, padBefore: Math.floor(padTotal / 2) };
}

/** Everything a pooling kernel needs, validated. */
export interface Pool2dGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly Hout: number;
  readonly Wout: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * Checks a pooling shape and computes its output size and padding. `fn` names the caller in the error messages.
 * Throws for non-positive or non-integer sizes, an unknown padding, and a 'valid' window larger than the input.
 */
export function pool2dGeometry(shape: Pool2dShape, fn = 'pool2dGeometry'): Pool2dGeometry {
  const { N, C, H, W, kernelSize, stride, padding } = shape;
  for (const [name, v] of Object.entries({ N, C, H, W, kernelSize, stride })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} = ${v}; it must be a positive integer`);
  }
  if (padding !== 'same' && padding !== 'valid') {
    throw new Error(`${fn}: padding '${String(padding)}' is not supported; use 'same' or 'valid'`);
  }
  const h = poolAxis(H, kernelSize, stride, padding);
  const w = poolAxis(W, kernelSize, stride, padding);
  if (!h || !w) {
    throw new Error(
      `${fn}: input ${H}×${W} is smaller than the ${kernelSize}×${kernelSize} window with padding 'valid', so the output ` +
        "would be empty; use padding 'same' or a larger input",
    );
  }
  return { N, C, H, W, Hout: h.out, Wout: w.out, kernelSize, stride, padTop: h.padBefore, padLeft: w.padBefore };
}

/** [N, C, Hout, Wout] of a pooling shape (validated). */
export function pool2dOutputShape(shape: Pool2dShape): [number, number, number, number] {
  const g = pool2dGeometry(shape, 'pool2dOutputShape');
  return [g.N, g.C, g.Hout, g.Wout];
}

/** Uniform declarations and values shared by all pooling kernels. */
export const POOL_UNIFORMS = {
  planes: 'u32',
  H: 'u32',
  W: 'u32',
  Hout: 'u32',
  Wout: 'u32',
  k: 'u32',
  stride: 'u32',
  padTop: 'u32',
  padLeft: 'u32',
} as const;

export function poolUniforms(g: Pool2dGeometry): { readonly [K in keyof typeof POOL_UNIFORMS]: number } {
  return {
    planes: g.N * g.C,
    H: g.H,
    W: g.W,
    Hout: g.Hout,
    Wout: g.Wout,
    k: g.kernelSize,
    stride: g.stride,
    padTop: g.padTop,
    padLeft: g.padLeft,
  };
}

/**
 * WGSL window walking, for kernels declared with POOL_UNIFORMS.
 *
 * windowRange: the in-bounds input range [start, end) of output position `o` along an axis (clamped, so padded
 * positions are skipped rather than read). coveringOutputs: the outputs [first, last + 1) whose windows contain
 * input position `i`, which lets every backward gather (one thread per input element, no atomics, deterministic
 * order) instead of scattering from outputs whose windows overlap.
 */
export const POOL_WINDOW_WGSL = /* wgsl */ `
fn windowRange(o: u32, pad: u32, size: u32) -> vec2u {
  let first = i32(o * u.stride) - i32(pad);
  let start = u32(max(first, 0));
  let end = u32(clamp(first + i32(u.k), 0, i32(size)));
  return vec2u(start, end);
}

fn coveringOutputs(i: u32, pad: u32, outSize: u32) -> vec2u {
  // o covers i when o·stride − pad <= i <= o·stride − pad + k − 1.
  let lowest = i32(i + pad) - i32(u.k) + 1;
  let first = select(0u, (u32(lowest) + u.stride - 1u) / u.stride, lowest > 0);
  let last = min((i + pad) / u.stride + 1u, outSize);
  return vec2u(first, max(first, last));
}`;

/** Throws unless `slice` holds at least `elements` 4-byte values; names the function, operand and shape. */
export function checkPoolOperand(fn: string, name: string, slice: BufferSlice, elements: number, shape: string): void {
  if (slice.size < elements * 4) {
    throw new Error(
      `${fn}: operand '${name}' holds ${Math.floor(slice.size / 4)} elements but ${shape} needs ${elements}; pass a larger slice`,
    );
  }
}

/** "[N, C, H, W]" for messages. */
export const dims = (...d: number[]): string => `[${d.join(', ')}]`;
