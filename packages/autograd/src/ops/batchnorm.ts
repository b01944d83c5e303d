/**
 * Batch normalisation over NCHW (per-channel statistics over N·H·W).
 * Training mode uses the batch statistics (and updates running averages when given); inference mode uses the
 * running averages. The official ENAS search always runs in training mode, on validation batches too
 * (`micro_child.py` _model: `if self.fixed_arc is None: is_training = True`).
 */
import { BATCH_NORM_DEFAULTS, batchNormBackward, batchNormInference, batchNormTrain } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

export interface BatchNormOptions {
  /** Scale and shift [C] (trainable); both or neither. */
  gamma?: Tensor;
  beta?: Tensor;
  /** Running averages [C] (persistent, updated in training mode, used in inference mode). */
  running?: { mean: Tensor; variance: Tensor };
  training: boolean;
  /** Running-average decay (0.9 in the official code). */
  decay?: number;
  epsilon?: number;
}

export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  const e = engineOf(x);
  if (x.shape.length !== 4) throw new Error(`batchNorm: '${x.name}' must be NCHW (4-D), got [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (!!o.gamma !== !!o.beta) throw new Error('batchNorm: give both gamma and beta, or neither');
  const shape = { N, C, H, W };
  const epsilon = o.epsilon ?? BATCH_NORM_DEFAULTS.epsilon;
  const y = e.empty(x.shape, 'batchNorm');
  const affine = o.gamma && o.beta ? { gamma: o.gamma.data, beta: o.beta.data } : {};
  const running = o.running ? { runningMean: o.running.mean.data, runningVar: o.running.variance.data } : {};

  if (!o.training) {
    if (!o.running) throw new Error('batchNorm: inference mode needs running statistics');
    batchNormInference(
      e.rec,
      { x: x.data, y: y.data, runningMean: o.running.mean.data, runningVar: o.running.variance.data, ...affine },
      shape,
      {
        epsilon,
      },
    );
  } else {
    const saveMean = e.allocTemporary(C * 4, 'batchNorm.mean');
    const saveInvStd = e.allocTemporary(C * 4, 'batchNorm.invStd');
    batchNormTrain(e.rec, { x: x.data, y: y.data, saveMean, saveInvStd, ...affine, ...running }, shape, {
      epsilon,
      decay: o.decay ?? BATCH_NORM_DEFAULTS.decay,
    });
    const inputs = o.gamma && o.beta ? [x, o.gamma, o.beta] : [x];
    return record('batchNorm', inputs, y, (g) => {
      const dx = g.into(x);
      const dgamma = o.gamma ? g.into(o.gamma) : undefined;
      const dbeta = o.beta ? g.into(o.beta) : undefined;
      if (!dx && !dgamma && !dbeta) return;
      if (dgamma && dbeta && dgamma.accumulate !== dbeta.accumulate) {
        throw new Error('batchNorm: gamma and beta gradients must be accumulated alike (zero them together)');
      }
      batchNormBackward(
        e.rec,
        {
          x: x.data,
          dy: g.of(y),
          // The kernel always writes dx; give it scratch when x needs no gradient.
          dx: dx ? dx.slice : e.allocTemporary(x.size * 4, 'batchNorm.dx-unused'),
          saveMean,
          saveInvStd,
          gamma: o.gamma?.data,
          dgamma: dgamma?.slice,
          dbeta: dbeta?.slice,
        },
        shape,
        { mode: 'training', epsilon, accumulate: dx?.accumulate ?? false, accumulateParams: dgamma?.accumulate ?? false },
      );
    });
  }
  return y;
}
