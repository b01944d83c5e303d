/**
 * The random CnnOps of the float64 twin: dropout and drop-path that make exactly the GPU's keep/drop decisions.
 * The GPU ops draw from the engine's random state (seed, step) and a stream numbered in recording order
 * (`engine.nextStream()`, ops with keep = 1 take none); the twin counts streams the same way and regenerates
 * each mask with the references of wgsl-kernels ops/random (`dropoutRef`, `dropPathRef`, which draw from
 * `rngWordsCpu`). So a network written once over CnnOps runs on both with its random ops on, and every
 * gradient can be compared. Run the twin's forward in the same order as the GPU step's random ops.
 */
import type { Engine } from '@enas-webgpu/autograd';
import { F64 } from '@enas-webgpu/autograd/testing';
import { reference as R, rngStateWords } from '@enas-webgpu/wgsl-kernels';
import type { CnnOps } from '../cnn/ops.js';
import { f64CnnOps } from './f64-cnn-ops.js';

/** A masked copy of x whose backward applies the same mask (`masked(values)` computes y or dx from x or dy). */
function maskedNode(x: F64, masked: (values: ArrayLike<number>) => Float64Array): F64 {
  const out = new F64(masked(x.data), x.shape, [x]);
  out.backwardFn = () => {
    const dx = masked(out.grad);
    for (let i = 0; i < dx.length; i++) x.grad[i] = (x.grad[i] as number) + (dx[i] as number);
  };
  return out;
}

/**
 * The float64 CnnOps with random ops keyed by `random` (the engine's `randomState` read inside the GPU step,
 * after `beginStep`), streams counted from `firstStream` (the number of random ops the step recorded before).
 */
export function f64CnnOpsWithRandom(random: Engine['randomState'], firstStream = 0): CnnOps<F64> {
  const state = rngStateWords(random.seed, random.steps);
  let stream = firstStream;
  return {
    ...f64CnnOps,
    dropout: (x, keep) => {
      if (keep >= 1) return x;
      const s = stream++;
      return maskedNode(x, (v) => R.dropoutRef(v, state, s, keep));
    },
    dropPath: (x, keep) => {
      if (keep >= 1) return x;
      const s = stream++;
      const [N, C, H, W] = x.shape as [number, number, number, number];
      return maskedNode(x, (v) => R.dropPathRef(v, state, s, { N, C, H, W }, keep));
    },
  };
}
