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
  relu,
  stridedSample,
  type Tensor,
} from '@enas-webgpu/autograd';

export interface PoolOptions {
  kernelSize: number;
  stride: number;
  padding: 'same' | 'valid';
}

export interface ConvOptions {
  stride?: number;
  padding?: 'same' | 'valid';
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
