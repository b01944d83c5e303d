/**
 * Layers: Modules that own their parameters (in a parameter group) and apply one op. They are conveniences over the
 * ops in ../ops for models with fixed structure; the ENAS search networks take weights from a shared pool instead.
 * Initialisation follows the official ENAS code: He-normal for convolutions and dense layers, U(−a, a) for the LSTM.
 */
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import type { Engine } from '../engine.js';
import type { ParameterGroup } from '../memory/parameter-group.js';
import { batchNorm } from '../ops/batchnorm.js';
import { conv2d, depthwiseConv2d } from '../ops/conv.js';
import { linear, matmul } from '../ops/matmul.js';
import { avgPool2d, globalAvgPool, maxPool2d, type PoolOptions } from '../ops/pool.js';
import { dropout } from '../ops/random.js';
import { embedding, lstmCell } from '../ops/sequence.js';
import { concatChannels } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { constant, heNormal, uniform } from './init.js';
import { Module } from './module.js';

/** What every parametrised layer is built with. */
export interface LayerContext {
  engine: Engine;
  group: ParameterGroup;
  rng: Rng;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(c: LayerContext, name: string, inputs: number, outputs: number, options: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('w', c.group.parameter(heNormal(c.rng, inputs * outputs, inputs), [inputs, outputs], `${name}/w`));
    this.bias =
      options.bias === false ? undefined : this.registerParameter('b', c.group.parameter(constant(outputs, 0), [outputs], `${name}/b`));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(
    c: LayerContext,
    name: string,
    inputs: number,
    outputs: number,
    readonly kernelSize: number,
    readonly options: { stride?: number; padding?: 'same' | 'valid'; bias?: boolean } = {},
  ) {
    super();
    const k = kernelSize;
    this.weight = this.registerParameter(
      'w',
      c.group.parameter(heNormal(c.rng, outputs * inputs * k * k, inputs * k * k), [outputs, inputs, k, k], `${name}/w`),
    );
    this.bias = options.bias ? this.registerParameter('b', c.group.parameter(constant(outputs, 0), [outputs], `${name}/b`)) : undefined;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, { stride: this.options.stride, padding: this.options.padding }, this.bias);
  }
}

export class DepthwiseConv2d extends Module {
  readonly weight: Tensor;

  constructor(
    c: LayerContext,
    name: string,
    channels: number,
    readonly kernelSize: number,
    readonly options: { stride?: number; padding?: 'same' | 'valid' } = {},
  ) {
    super();
    const k = kernelSize;
    this.weight = this.registerParameter('w', c.group.parameter(heNormal(c.rng, channels * k * k, k * k), [channels, k, k], `${name}/w`));
  }

  forward(x: Tensor): Tensor {
    return depthwiseConv2d(x, this.weight, this.options);
  }
}

/** Depthwise k×k then pointwise 1×1 (a separable convolution, channel multiplier 1). */
export class SeparableConv extends Module {
  readonly depthwise: DepthwiseConv2d;
  readonly pointwise: Conv2d;

  constructor(c: LayerContext, name: string, inputs: number, outputs: number, kernelSize: number, options: { stride?: number } = {}) {
    super();
    this.depthwise = this.registerModule(
      'depthwise',
      new DepthwiseConv2d(c, `${name}/depthwise`, inputs, kernelSize, { stride: options.stride }),
    );
    this.pointwise = this.registerModule('pointwise', new Conv2d(c, `${name}/pointwise`, inputs, outputs, 1));
  }

  forward(x: Tensor): Tensor {
    return this.pointwise.forward(this.depthwise.forward(x));
  }
}

/** Batch norm with learned scale and shift and running averages (decay 0.9, ε 1e-5 as the official code). */
export class BatchNorm extends Module {
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(
    c: LayerContext,
    name: string,
    channels: number,
    readonly options: { decay?: number; epsilon?: number } = {},
  ) {
    super();
    this.gamma = this.registerParameter('scale', c.group.parameter(constant(channels, 1), [channels], `${name}/scale`));
    this.beta = this.registerParameter('offset', c.group.parameter(constant(channels, 0), [channels], `${name}/offset`));
    this.runningMean = this.registerBuffer('moving_mean', c.engine.persistent(constant(channels, 0), [channels], `${name}/moving_mean`));
    this.runningVar = this.registerBuffer(
      'moving_variance',
      c.engine.persistent(constant(channels, 1), [channels], `${name}/moving_variance`),
    );
  }

  forward(x: Tensor): Tensor {
    return batchNorm(x, {
      gamma: this.gamma,
      beta: this.beta,
      running: { mean: this.runningMean, variance: this.runningVar },
      training: this.training,
      decay: this.options.decay ?? 0.9,
      epsilon: this.options.epsilon ?? 1e-5,
    });
  }
}

export class MaxPool extends Module {
  constructor(readonly options: PoolOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
}

export class AvgPool extends Module {
  constructor(readonly options: PoolOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }
}

export class GlobalAvgPool extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool(x);
  }
}

/** Inverted dropout, active in training mode only. */
export class Dropout extends Module {
  constructor(readonly keep: number) {
    super();
    if (!(keep > 0 && keep <= 1)) throw new Error(`Dropout: keep probability ${keep} must be in (0, 1]`);
  }
  forward(x: Tensor): Tensor {
    return this.training ? dropout(x, this.keep) : x;
  }
}

export class Embedding extends Module {
  readonly table: Tensor;

  constructor(c: LayerContext, name: string, vocabulary: number, size: number, initRange = 0.1) {
    super();
    this.table = this.registerParameter(
      'w',
      c.group.parameter(uniform(c.rng, vocabulary * size, initRange), [vocabulary, size], `${name}/w`),
    );
  }

  /** Rows for u32 ids [T] → [T, size]. */
  forward(ids: Tensor): Tensor {
    return embedding(this.table, ids);
  }
}

/** An LSTM cell: ifog = [x, h]·W (+ b), gates i|f|o|g, as the official ENAS controller (without bias by default). */
export class LSTMCell extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(
    c: LayerContext,
    name: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: { bias?: boolean; initRange?: number } = {},
  ) {
    super();
    const n = (inputSize + hiddenSize) * 4 * hiddenSize;
    this.weight = this.registerParameter(
      'w',
      c.group.parameter(uniform(c.rng, n, options.initRange ?? 0.1), [inputSize + hiddenSize, 4 * hiddenSize], `${name}/w`),
    );
    this.bias = options.bias
      ? this.registerParameter('b', c.group.parameter(constant(4 * hiddenSize, 0), [4 * hiddenSize], `${name}/b`))
      : undefined;
  }

  /** One step: x [B, inputSize], state (h, c) [B, hiddenSize] → the new (h, c). */
  forward(x: Tensor, h: Tensor, c: Tensor): [Tensor, Tensor] {
    const B = x.shape[0] as number;
    const xh = concatChannels([x.reshape([B, this.inputSize, 1, 1]), h.reshape([B, this.hiddenSize, 1, 1])]).reshape([
      B,
      this.inputSize + this.hiddenSize,
    ]);
    const pre = this.bias ? linear(xh, this.weight, this.bias) : matmul(xh, this.weight);
    return lstmCell(pre, c);
  }
}
