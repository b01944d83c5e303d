/**
 * Parity cases of src/ops/conv: conv2d forward (with and without bias), grad-input, grad-weight (direct and split
 * into partial sums) and grad-bias, for every GEMM variant, and the depthwise convolution forward, grad-input and
 * grad-weight. k, stride and padding are compiled into the pipelines, so the cases cover k ∈ {1, 3, 5}, both
 * strides (stride 2 on odd sizes), both paddings.
 *
 * The tiled variants (workgroup memory and barriers) are what GPUs run; both runtimes here are CPU adapters that
 * choose 'register', so the tiled cases force their variant. SwiftShader compiles barriers slowly (seconds per
 * pipeline), so each pass has one tiled case; the two tiled variants share their WGSL but for the tile constants,
 * and each appears at least once.
 */
import { conv2dBackwardRef, conv2dRef, depthwiseConv2dBackwardRef, depthwiseConv2dRef } from '../../../src/ops/conv/conv.reference.js';
import { type Conv2dShape, convOutputSize, type DepthwiseConv2dShape } from '../../../src/ops/conv/conv-shape.js';
import { conv2d } from '../../../src/ops/conv/conv2d.js';
import { conv2dBackwardBias } from '../../../src/ops/conv/conv2d-backward-bias.js';
import { conv2dBackwardInput } from '../../../src/ops/conv/conv2d-backward-input.js';
import { conv2dBackwardWeight } from '../../../src/ops/conv/conv2d-backward-weight.js';
import { depthwiseConv2d, depthwiseConv2dBackwardInput } from '../../../src/ops/conv/depthwise-conv2d.js';
import { depthwiseConv2dBackwardWeight } from '../../../src/ops/conv/depthwise-conv2d-backward-weight.js';
import type { ConvGemmVariant } from '../../../src/ops/conv/implicit-gemm.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

interface Extra {
  readonly accumulate?: boolean;
  readonly arena?: boolean;
  /** Forced reduction splits (grad-weight, grad-bias); > 1 goes through partial sums and sum_partials. */
  readonly splits?: number;
  /** Convolve relu(x): the ReLU fused into the pass (grad-input masked by x > 0). */
  readonly inputRelu?: boolean;
}

/** What a pass with `inputRelu` sees of x, and ReLU's backward applied to a grad-input. */
const seen = (x: ArrayLike<number>, e: Extra) => (e.inputRelu ? Float64Array.from(x, (v) => Math.max(v, 0)) : x);
const masked = (dx: Float64Array, x: ArrayLike<number>, e: Extra) => (e.inputRelu ? dx.map((v, i) => ((x[i] as number) > 0 ? v : 0)) : dx);

function conv2dSizes(s: Conv2dShape) {
  const o = convOutputSize(s);
  return { x: s.N * s.Cin * s.H * s.W, w: s.Cout * s.Cin * s.k * s.k, y: s.N * s.Cout * o.Hout * o.Wout };
}

function depthwiseSizes(s: DepthwiseConv2dShape) {
  const o = convOutputSize(s);
  return { x: s.N * s.C * s.H * s.W, w: s.C * s.k * s.k, y: s.N * s.C * o.Hout * o.Wout };
}

const geometry = (s: { N: number; H: number; W: number; k: number; stride: number; padding: string }, channels: string) =>
  `${s.N}x${channels}x${s.H}x${s.W} k${s.k} s${s.stride} ${s.padding}`;

const suffix = (e: Extra) =>
  `${e.splits && e.splits > 1 ? ` splits ${e.splits}` : ''}${e.accumulate ? ' accumulate' : ''}${e.inputRelu ? ' input ReLU' : ''}${e.arena ? ' (arena)' : ''}`;

const conv2dText = (s: Conv2dShape) => geometry(s, `${s.Cin}->${s.Cout}`);

function forwardCase(variant: ConvGemmVariant, s: Conv2dShape, bias: boolean, e: Extra = {}) {
  const n = conv2dSizes(s);
  return parityCase({
    name: `conv2d ${variant} ${conv2dText(s)}${bias ? ' bias' : ''}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({ x: rng.f32(n.x), w: rng.f32(n.w), bias: rng.f32(s.Cout), prior: rng.f32(n.y) }),
    outputs: ({ prior }) => ({ y: e.accumulate ? { initial: prior } : { count: n.y } }),
    record: (rec, t) =>
      conv2d(rec, { x: t.x, w: t.w, y: t.y, bias: bias ? t.bias : undefined }, s, {
        variant,
        accumulate: e.accumulate,
        inputRelu: e.inputRelu,
      }),
    reference: ({ x, w, bias: b, prior }) => {
      const y = conv2dRef(seen(x, e), w, s, bias ? b : undefined);
      return { y: e.accumulate ? plusPrior(y, prior) : y };
    },
  });
}

function backwardInputCase(variant: ConvGemmVariant, s: Conv2dShape, e: Extra = {}) {
  const n = conv2dSizes(s);
  return parityCase({
    name: `conv2dBackwardInput ${variant} ${conv2dText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({ w: rng.f32(n.w), dy: rng.f32(n.y), x: rng.f32(n.x), prior: rng.f32(n.x) }),
    outputs: ({ prior }) => ({ dx: e.accumulate ? { initial: prior } : { count: n.x } }),
    record: (rec, t) =>
      conv2dBackwardInput(rec, { w: t.w, dy: t.dy, dx: t.dx, x: t.x }, s, { variant, accumulate: e.accumulate, inputRelu: e.inputRelu }),
    reference: ({ w, dy, x, prior }) => {
      const dx = masked(conv2dBackwardRef(new Float64Array(n.x), w, dy, s).dx, x, e);
      return { dx: e.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

/**
 * With splits > 1 the partial sums go to a caller-given workspace (NaN-poisoned, so sum_partials reading an
 * unwritten partial fails); splits·Cout·Cin·k·k floats is at least what the plan needs.
 */
function backwardWeightCase(variant: ConvGemmVariant, s: Conv2dShape, e: Extra = {}) {
  const n = conv2dSizes(s);
  const splits = e.splits ?? 1;
  return parityCase({
    name: `conv2dBackwardWeight ${variant} ${conv2dText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({
      x: rng.f32(n.x),
      dy: rng.f32(n.y),
      prior: rng.f32(n.w),
      workspace: new Float32Array(splits * n.w).fill(Number.NaN),
    }),
    outputs: ({ prior }) => ({ dw: e.accumulate ? { initial: prior } : { count: n.w } }),
    record: (rec, t) =>
      conv2dBackwardWeight(rec, { x: t.x, dy: t.dy, dw: t.dw, workspace: splits > 1 ? t.workspace : undefined }, s, {
        variant,
        splits,
        accumulate: e.accumulate,
        inputRelu: e.inputRelu,
      }),
    reference: ({ x, dy, prior }) => {
      const { dw } = conv2dBackwardRef(seen(x, e), new Float64Array(n.w), dy, s);
      return { dw: e.accumulate ? plusPrior(dw, prior) : dw };
    },
  });
}

function backwardBiasCase(s: Conv2dShape, e: Extra = {}) {
  const n = conv2dSizes(s);
  const splits = e.splits ?? 1;
  return parityCase({
    name: `conv2dBackwardBias ${conv2dText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({ dy: rng.f32(n.y), prior: rng.f32(s.Cout), workspace: new Float32Array(splits * s.Cout).fill(Number.NaN) }),
    outputs: ({ prior }) => ({ db: e.accumulate ? { initial: prior } : { count: s.Cout } }),
    record: (rec, t) =>
      conv2dBackwardBias(rec, { dy: t.dy, db: t.db, workspace: splits > 1 ? t.workspace : undefined }, s, {
        splits,
        accumulate: e.accumulate,
      }),
    reference: ({ dy, prior }) => {
      const { db } = conv2dBackwardRef(new Float64Array(n.x), new Float64Array(n.w), dy, s);
      return { db: e.accumulate ? plusPrior(db, prior) : db };
    },
  });
}

const depthwiseText = (s: DepthwiseConv2dShape) => geometry(s, `${s.C}`);

function depthwiseCase(s: DepthwiseConv2dShape, e: Extra = {}) {
  const n = depthwiseSizes(s);
  return parityCase({
    name: `depthwiseConv2d ${depthwiseText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({ x: rng.f32(n.x), w: rng.f32(n.w), prior: rng.f32(n.y) }),
    outputs: ({ prior }) => ({ y: e.accumulate ? { initial: prior } : { count: n.y } }),
    record: (rec, t) => depthwiseConv2d(rec, { x: t.x, w: t.w, y: t.y }, s, { accumulate: e.accumulate, inputRelu: e.inputRelu }),
    reference: ({ x, w, prior }) => {
      const y = depthwiseConv2dRef(seen(x, e), w, s);
      return { y: e.accumulate ? plusPrior(y, prior) : y };
    },
  });
}

function depthwiseBackwardInputCase(s: DepthwiseConv2dShape, e: Extra = {}) {
  const n = depthwiseSizes(s);
  return parityCase({
    name: `depthwiseConv2dBackwardInput ${depthwiseText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({ w: rng.f32(n.w), dy: rng.f32(n.y), x: rng.f32(n.x), prior: rng.f32(n.x) }),
    outputs: ({ prior }) => ({ dx: e.accumulate ? { initial: prior } : { count: n.x } }),
    record: (rec, t) =>
      depthwiseConv2dBackwardInput(rec, { w: t.w, dy: t.dy, dx: t.dx, x: t.x }, s, { accumulate: e.accumulate, inputRelu: e.inputRelu }),
    reference: ({ w, dy, x, prior }) => {
      const dx = masked(depthwiseConv2dBackwardRef(new Float64Array(n.x), w, dy, s).dx, x, e);
      return { dx: e.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

function depthwiseBackwardWeightCase(s: DepthwiseConv2dShape, e: Extra = {}) {
  const n = depthwiseSizes(s);
  const splits = e.splits ?? 1;
  return parityCase({
    name: `depthwiseConv2dBackwardWeight ${depthwiseText(s)}${suffix(e)}`,
    family: 'conv',
    arena: e.arena,
    inputs: (rng) => ({
      x: rng.f32(n.x),
      dy: rng.f32(n.y),
      prior: rng.f32(n.w),
      workspace: new Float32Array(splits * n.w).fill(Number.NaN),
    }),
    outputs: ({ prior }) => ({ dw: e.accumulate ? { initial: prior } : { count: n.w } }),
    record: (rec, t) =>
      depthwiseConv2dBackwardWeight(rec, { x: t.x, dy: t.dy, dw: t.dw, workspace: splits > 1 ? t.workspace : undefined }, s, {
        splits,
        accumulate: e.accumulate,
        inputRelu: e.inputRelu,
      }),
    reference: ({ x, dy, prior }) => {
      const { dw } = depthwiseConv2dBackwardRef(seen(x, e), new Float64Array(n.w), dy, s);
      return { dw: e.accumulate ? plusPrior(dw, prior) : dw };
    },
  });
}

// Channel counts are no tile multiple (the register tile is 32 rows, the tiled ones 32 and 64); Cout 37 spans two
// row tiles of 32. Odd sizes at stride 2, a 1×1 image, 'valid' and k = 1 (the pointwise convolution).
const SAME3: Conv2dShape = { N: 2, Cin: 5, H: 7, W: 6, Cout: 6, k: 3, stride: 1, padding: 'same' };
const STRIDE2_K5: Conv2dShape = { N: 2, Cin: 3, H: 9, W: 7, Cout: 4, k: 5, stride: 2, padding: 'same' };
const POINTWISE: Conv2dShape = { N: 2, Cin: 9, H: 5, W: 5, Cout: 37, k: 1, stride: 1, padding: 'same' };
const VALID3: Conv2dShape = { N: 1, Cin: 4, H: 6, W: 7, Cout: 5, k: 3, stride: 2, padding: 'valid' };
const ONE_PIXEL: Conv2dShape = { N: 3, Cin: 4, H: 1, W: 1, Cout: 3, k: 3, stride: 1, padding: 'same' };

const DW3: DepthwiseConv2dShape = { N: 2, C: 5, H: 7, W: 9, k: 3, stride: 1, padding: 'same' };
const DW5_STRIDE2: DepthwiseConv2dShape = { N: 2, C: 3, H: 9, W: 7, k: 5, stride: 2, padding: 'same' };
const DW3_VALID: DepthwiseConv2dShape = { N: 1, C: 4, H: 6, W: 5, k: 3, stride: 2, padding: 'valid' };

export const convCases: ParityCase[] = [
  forwardCase('register', SAME3, true),
  forwardCase('register', STRIDE2_K5, false, { accumulate: true, arena: true }),
  forwardCase('register', POINTWISE, true),
  forwardCase('register', VALID3, true),
  forwardCase('register', ONE_PIXEL, true),
  forwardCase('tiled-32x128', SAME3, true),
  backwardInputCase('register', SAME3),
  backwardInputCase('register', STRIDE2_K5, { accumulate: true, arena: true }),
  backwardInputCase('register', POINTWISE),
  backwardInputCase('register', VALID3),
  backwardInputCase('tiled-64x64', STRIDE2_K5, { accumulate: true }),
  backwardWeightCase('register', SAME3),
  backwardWeightCase('register', STRIDE2_K5, { splits: 3, accumulate: true, arena: true }),
  backwardWeightCase('register', POINTWISE),
  backwardWeightCase('tiled-32x128', SAME3, { splits: 2 }),
  backwardBiasCase(SAME3),
  backwardBiasCase(STRIDE2_K5, { splits: 2, accumulate: true, arena: true }),
  depthwiseCase(DW3),
  depthwiseCase(DW5_STRIDE2, { accumulate: true, arena: true }),
  depthwiseCase(DW3_VALID),
  depthwiseBackwardInputCase(DW3),
  depthwiseBackwardInputCase(DW5_STRIDE2, { accumulate: true }),
  depthwiseBackwardWeightCase(DW3),
  depthwiseBackwardWeightCase(DW5_STRIDE2, { splits: 2, accumulate: true, arena: true }),
  // The input ReLU fused into every pass (ENAS's ReLU before each convolution).
  forwardCase('register', SAME3, false, { inputRelu: true }),
  forwardCase('tiled-64x64', STRIDE2_K5, false, { inputRelu: true, accumulate: true }),
  backwardInputCase('register', SAME3, { inputRelu: true, arena: true }),
  backwardInputCase('tiled-32x128', POINTWISE, { inputRelu: true }),
  backwardWeightCase('register', STRIDE2_K5, { inputRelu: true, splits: 2 }),
  backwardWeightCase('tiled-64x64', SAME3, { inputRelu: true }),
  depthwiseCase(DW3, { inputRelu: true }),
  depthwiseBackwardInputCase(DW5_STRIDE2, { inputRelu: true, arena: true }),
  depthwiseBackwardWeightCase(DW3, { inputRelu: true, splits: 2 }),
];
