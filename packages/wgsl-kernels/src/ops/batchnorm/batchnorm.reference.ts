/**
 * Float64 references of batch norm over NCHW, written from the definitions (see batchnorm.ts and
 * batchnorm-backward.ts for the formulas and TF's conventions they follow).
 */
import type { BatchNormShape } from './batchnorm-checks.js';

type Values = ArrayLike<number>;

/** Calls f(c, i) for every flat index i of channel c. */
function forChannel(s: BatchNormShape, c: number, f: (i: number) => void): void {
  const hw = s.H * s.W;
  for (let n = 0; n < s.N; n++) for (let k = 0; k < hw; k++) f((n * s.C + c) * hw + k);
}

function at(v: Values | undefined, i: number, fallback: number): number {
  return v ? (v[i] as number) : fallback;
}

export interface BatchNormTrainRef {
  y: Float64Array;
  mean: Float64Array;
  /** Biased batch variance. */
  variance: Float64Array;
  invStd: Float64Array;
  /** Updated running averages (when given). */
  runningMean?: Float64Array;
  runningVar?: Float64Array;
}

export function batchNormTrainRef(
  x: Values,
  s: BatchNormShape,
  o: { gamma?: Values; beta?: Values; epsilon: number; decay?: number; runningMean?: Values; runningVar?: Values },
): BatchNormTrainRef {
  const n = s.N * s.H * s.W;
  const y = new Float64Array(s.N * s.C * s.H * s.W);
  const mean = new Float64Array(s.C);
  const variance = new Float64Array(s.C);
  const invStd = new Float64Array(s.C);
  for (let c = 0; c < s.C; c++) {
    let sum = 0;
    forChannel(s, c, (i) => {
      sum += x[i] as number;
    });
    const m = sum / n;
    let sq = 0;
    forChannel(s, c, (i) => {
      sq += ((x[i] as number) - m) ** 2;
    });
    mean[c] = m;
    variance[c] = sq / n;
    invStd[c] = 1 / Math.sqrt(sq / n + o.epsilon);
    forChannel(s, c, (i) => {
      y[i] = at(o.gamma, c, 1) * ((x[i] as number) - m) * (invStd[c] as number) + at(o.beta, c, 0);
    });
  }
  const result: BatchNormTrainRef = { y, mean, variance, invStd };
  if (o.runningMean && o.runningVar) {
    const d = o.decay ?? 0.9;
    const rm = o.runningMean;
    const rv = o.runningVar;
    // The unbiased variance feeds the running average, as TF's fused batch norm (n − 1 clamped to 1).
    const bessel = n / Math.max(n - 1, 1);
    result.runningMean = Float64Array.from(mean, (m, c) => d * (rm[c] as number) + (1 - d) * m);
    result.runningVar = Float64Array.from(variance, (v, c) => d * (rv[c] as number) + (1 - d) * v * bessel);
  }
  return result;
}

export function batchNormInferenceRef(
  x: Values,
  s: BatchNormShape,
  o: { runningMean: Values; runningVar: Values; gamma?: Values; beta?: Values; epsilon: number },
): Float64Array {
  const y = new Float64Array(s.N * s.C * s.H * s.W);
  for (let c = 0; c < s.C; c++) {
    const invStd = 1 / Math.sqrt((o.runningVar[c] as number) + o.epsilon);
    forChannel(s, c, (i) => {
      y[i] = at(o.gamma, c, 1) * ((x[i] as number) - (o.runningMean[c] as number)) * invStd + at(o.beta, c, 0);
    });
  }
  return y;
}

/**
 * Gradients of Σ y ⊙ dy for the training forward (statistics recomputed from x, as the forward did) or the
 * inference forward (running statistics). dγ and dβ are returned whether or not the forward was affine.
 */
export function batchNormBackwardRef(
  x: Values,
  dy: Values,
  s: BatchNormShape,
  o: { mode: 'training' | 'inference'; gamma?: Values; epsilon: number; runningMean?: Values; runningVar?: Values },
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const n = s.N * s.H * s.W;
  const dx = new Float64Array(s.N * s.C * s.H * s.W);
  const dgamma = new Float64Array(s.C);
  const dbeta = new Float64Array(s.C);
  const train = o.mode === 'training' ? batchNormTrainRef(x, s, { epsilon: o.epsilon }) : undefined;
  for (let c = 0; c < s.C; c++) {
    let mu: number;
    let invStd: number;
    if (train) {
      mu = train.mean[c] as number;
      invStd = train.invStd[c] as number;
    } else {
      if (!o.runningMean || !o.runningVar) throw new Error('batchNormBackwardRef: inference mode needs the running statistics');
      mu = o.runningMean[c] as number;
      invStd = 1 / Math.sqrt((o.runningVar[c] as number) + o.epsilon);
    }
    let sumDy = 0;
    let sumDyXhat = 0;
    forChannel(s, c, (i) => {
      sumDy += dy[i] as number;
      sumDyXhat += (dy[i] as number) * ((x[i] as number) - mu) * invStd;
    });
    dbeta[c] = sumDy;
    dgamma[c] = sumDyXhat;
    const k = at(o.gamma, c, 1) * invStd;
    forChannel(s, c, (i) => {
      const g = dy[i] as number;
      const xhat = ((x[i] as number) - mu) * invStd;
      dx[i] = train ? k * (g - sumDy / n - (xhat * sumDyXhat) / n) : k * g;
    });
  }
  return { dx, dgamma, dbeta };
}
