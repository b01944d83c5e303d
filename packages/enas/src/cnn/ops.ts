/**
 * The operations a CIFAR child network is written in, as an interface over the tensor type: the GPU engine
 * implements it with autograd ops, and the tests implement it with the float64 twin
 * (@enas-webgpu/autograd/testing). A network written once against it can be checked gradient by gradient.
 */
import {
  add as addOp,
  avgPool2d,
  batchNorm,
  concatChannels,
  conv2d,
  depthwiseConv2d,
  dropout,
  dropPath,
  type Engine,
  globalAvgPool,
  linear,
  maxPool2d,
  record,
  relu,
  sameShape,
  stridedSample,
  type Tensor,
} from '@enas-webgpu/autograd';
import { binary, scale } from '@enas-webgpu/wgsl-kernels';

export interface PoolOptions {
  kernelSize: number;
  stride: number;
  padding: 'same' | 'valid';
}

export interface ConvOptions {
  stride?: number;
  padding?: 'same' | 'valid';
  /** Convolve relu(x): on the GPU the ReLU is fused into the convolution's kernels (no tensor, no dispatch). */
  inputRelu?: boolean;
}

/** Running averages of a batch norm (GPU only: the twin runs in training mode). */
export interface RunningStats {
  mean: Tensor;
  variance: Tensor;
}

export interface CnnOps<T> {
  /** Runs `fn` with its temporaries in a named arena region (GPU); the twin just runs it. */
  scope<R>(name: string, fn: () => R): R;
  shape(x: T): readonly number[];
  conv2d(x: T, w: T, o?: ConvOptions): T;
  depthwise(x: T, w: T, o?: ConvOptions): T;
  /** Batch norm with γ, β: batch statistics when `training`, else the running averages. */
  bn(x: T, gamma: T, beta: T, running: RunningStats | undefined, training: boolean): T;
  relu(x: T): T;
  add(a: T, b: T): T;
  /** Σ xs (same shapes, at least one): the macro layer's output plus its skip inputs. */
  sum(xs: readonly T[]): T;
  avgPool(x: T, o: PoolOptions): T;
  maxPool(x: T, o: PoolOptions): T;
  stridedSample(x: T, stride: number, offset: number): T;
  concat(xs: T[]): T;
  gap(x: T): T;
  linear(x: T, w: T, b?: T): T;
  dropout(x: T, keep: number): T;
  dropPath(x: T, keep: number): T;
}

/** Where a network's weights come from: the weight pool (search) or its own parameters (fixed architecture). */
export interface WeightSource<T> {
  slot(key: string): T;
  running(key: string): RunningStats | undefined;
}

/** The CnnOps of the GPU engine. */
export function gpuCnnOps(engine: Engine): CnnOps<Tensor> {
  return {
    scope: (name, fn) => engine.scope(name, fn),
    shape: (x) => x.shape,
    conv2d: (x, w, o = {}) => conv2d(x, w, o),
    depthwise: (x, w, o = {}) => depthwiseConv2d(x, w, o),
    bn: (x, gamma, beta, running, training) => batchNorm(x, { gamma, beta, running, training, decay: 0.9, epsilon: 1e-5 }),
    relu,
    add: addOp,
    sum: sumOf,
    avgPool: (x, o) => avgPool2d(x, o),
    maxPool: (x, o) => maxPool2d(x, o),
    stridedSample,
    concat: (xs) => concatChannels(xs),
    gap: globalAvgPool,
    linear: (x, w, b) => linear(x, w, b),
    dropout,
    dropPath,
  };
}

/**
 * Σ xs into ONE output tensor (a pairwise add, then accumulating adds of the next pairs, then a last single input):
 * however many inputs are summed, the sum and what follows it land at the same arena offsets, so a sampled
 * architecture with other skip connections reuses the same bindings. Each input's gradient is the output's.
 */
export function sumOf(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (!first) throw new Error('sum: needs at least one tensor');
  if (xs.length === 1) return first;
  for (const x of xs) sameShape('sum', first, x);
  const e = first.engine;
  const n = first.size;
  const y = e.empty(first.shape, 'sum');
  let i = 0;
  for (; i + 1 < xs.length; i += 2) binary(e.rec, 'add', (xs[i] as Tensor).data, (xs[i + 1] as Tensor).data, y.data, n, i > 0);
  if (i < xs.length) scale(e.rec, (xs[i] as Tensor).data, y.data, n, 1, true);
  return record('sum', xs, y, (g) => {
    const dy = g.of(y);
    for (const x of xs) {
      const dx = g.into(x);
      if (dx) scale(e.rec, dy, dx.slice, n, 1, dx.accumulate);
    }
  });
}
