/**
 * CnnOps over the float64 twin of @enas-webgpu/autograd/testing, and a WeightSource of float64 leaves holding the
 * same values as a GPU weight source: a child network written once can then be run in float64 and every gradient
 * compared. Dropout must be off (keep = 1): the twin has no random state.
 */

import type { Tensor } from '@enas-webgpu/autograd';
import { type F64, f64 } from '@enas-webgpu/autograd/testing';
import { readF32 } from '@enas-webgpu/wgsl-kernels';
import type { CnnOps, WeightSource } from '../cnn/ops.js';

export const f64CnnOps: CnnOps<F64> = {
  scope: (_name, fn) => fn(),
  shape: (x) => x.shape,
  conv2d: (x, w, o = {}) => f64.conv2d(o.inputRelu ? f64.activation('relu', x) : x, w, o),
  depthwise: (x, w, o = {}) => f64.depthwiseConv2d(o.inputRelu ? f64.activation('relu', x) : x, w, o),
  bn: (x, gamma, beta, _running, training) => {
    if (!training) throw new Error('the float64 twin runs batch norm in training mode only');
    return f64.batchNormTrain(x, gamma, beta);
  },
  relu: (x) => f64.activation('relu', x),
  add: f64.add,
  sum: (xs) => {
    let y = xs[0];
    if (!y) throw new Error('sum: needs at least one tensor');
    for (let i = 1; i < xs.length; i++) y = f64.add(y, xs[i] as F64);
    return y;
  },
  avgPool: (x, o) => f64.avgPool2d(x, o),
  maxPool: (x, o) => f64.maxPool2d(x, o),
  stridedSample: f64.stridedSample,
  concat: (xs) => f64.concatChannels(xs),
  gap: f64.globalAvgPool,
  linear: (x, w, b) => f64.matmul(x, w, {}, b),
  dropout: (x, keep) => {
    if (keep < 1) throw new Error('the float64 twin has no dropout; use keep = 1');
    return x;
  },
  dropPath: (x, keep) => {
    if (keep < 1) throw new Error('the float64 twin has no drop-path; use keep = 1');
    return x;
  },
};

/** Float64 leaves with the current GPU values of every named tensor (read back once). */
export async function f64Weights(named: Iterable<[string, Tensor]>): Promise<WeightSource<F64> & { leaves: Map<string, F64> }> {
  const leaves = new Map<string, F64>();
  for (const [key, t] of named) {
    const values = await readF32(t.engine.ctx, { ...t.data, size: t.size * 4 });
    leaves.set(key, f64.leaf(values, t.shape));
  }
  return {
    leaves,
    slot: (key) => {
      const leaf = leaves.get(key);
      if (!leaf) throw new Error(`float64 weights: no '${key}'`);
      return leaf;
    },
    running: () => undefined,
  };
}
