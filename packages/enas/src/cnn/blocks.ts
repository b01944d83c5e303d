/**
 * The building blocks the CIFAR search and fixed networks share, as functions of explicit weights (the search
 * network takes them from the weight pool, the fixed network from its own parameters). Official code:
 * `micro_child.py`, `general_child.py`, `image_ops.py`.
 */
import { batchNorm, concatChannels, conv2d, depthwiseConv2d, type Engine, relu, stridedSample, type Tensor } from '@enas-webgpu/autograd';

/** Affine batch-norm parameters, with running averages when the network keeps them. */
export interface BatchNormWeights {
  gamma: Tensor;
  beta: Tensor;
  running?: { mean: Tensor; variance: Tensor };
}

/** The official batch norm: decay 0.9, ε 1e-5 (`image_ops.py`; `_enas_conv` uses fused_batch_norm, ε 1e-5). */
export function bn(x: Tensor, w: BatchNormWeights, training: boolean): Tensor {
  return batchNorm(x, { gamma: w.gamma, beta: w.beta, running: w.running, training, decay: 0.9, epsilon: 1e-5 });
}

/** ReLU → conv k×k → BN: the official calibration and projection unit (`_maybe_calibrate_size`, `layer_base`). */
export function reluConvBn(x: Tensor, w: Tensor, norm: BatchNormWeights, training: boolean, stride = 1): Tensor {
  return bn(conv2d(relu(x), w, { stride, padding: 'same' }), norm, training);
}

export interface SepConvWeights {
  depthwise: Tensor;
  pointwise: Tensor;
  norm: BatchNormWeights;
}

/**
 * A separable conv stack: (ReLU → depthwise k×k → pointwise 1×1 → BN) per stack entry (two in ENAS); the first
 * depthwise may stride (reduction cells of fixed architectures).
 */
export function sepConvStack(x: Tensor, stacks: readonly SepConvWeights[], training: boolean, stride = 1): Tensor {
  let y = x;
  stacks.forEach((s, i) => {
    y = depthwiseConv2d(relu(y), s.depthwise, { stride: i === 0 ? stride : 1, padding: 'same' });
    y = bn(conv2d(y, s.pointwise, { padding: 'same' }), s.norm, training);
  });
  return y;
}

export interface FactorizedReductionWeights {
  /** [C/2, Cin, 1, 1] each. */
  path1: Tensor;
  path2: Tensor;
  norm: BatchNormWeights;
}

/**
 * Halves the spatial size without dropping pixels (`_factorized_reduction`): path 1 takes the even pixels, path 2
 * the odd ones (pad right/bottom, crop the first row and column, stride 2), each projected by a 1×1 conv to half
 * the output channels; concatenated, then BN.
 */
export function factorizedReduction(x: Tensor, w: FactorizedReductionWeights, training: boolean): Tensor {
  const p1 = conv2d(stridedSample(x, 2, 0), w.path1, { padding: 'valid' });
  const p2 = conv2d(stridedSample(x, 2, 1), w.path2, { padding: 'valid' });
  return bn(concatChannels([p1, p2]), w.norm, training);
}

/** BN parameters initialised as TF does (γ = 1, β = 0, running mean 0, running variance 1). */
export function createBatchNormWeights(
  create: (name: string, shape: number[], values: Float32Array) => Tensor,
  engine: Engine,
  name: string,
  channels: number,
  withRunning: boolean,
): BatchNormWeights {
  const gamma = create(`${name}/scale`, [channels], new Float32Array(channels).fill(1));
  const beta = create(`${name}/offset`, [channels], new Float32Array(channels));
  if (!withRunning) return { gamma, beta };
  return {
    gamma,
    beta,
    running: {
      mean: engine.persistent(new Float32Array(channels), [channels], `${name}/moving_mean`),
      variance: engine.persistent(new Float32Array(channels).fill(1), [channels], `${name}/moving_variance`),
    },
  };
}
