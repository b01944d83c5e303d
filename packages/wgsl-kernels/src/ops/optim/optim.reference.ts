/** Float64 references of the optimizer updates, in TensorFlow's formulations (see sgd.ts, adam.ts, clip.ts). */

type Values = ArrayLike<number>;

export interface StepValues {
  readonly lr: number;
  /** Multiplies the gradient (clipping); default 1. */
  readonly gradScale?: number;
  readonly weightDecay?: number;
}

const gradient = (w: Values, g: Values, i: number, o: StepValues) =>
  (o.gradScale ?? 1) * (g[i] as number) + (o.weightDecay ?? 0) * (w[i] as number);

export function sgdRef(w: Values, g: Values, o: StepValues): Float64Array {
  return Float64Array.from(w, (wi, i) => wi - o.lr * gradient(w, g, i, o));
}

export function sgdMomentumRef(
  w: Values,
  accum: Values,
  g: Values,
  o: StepValues & { momentum: number; nesterov: boolean },
): { param: Float64Array; accum: Float64Array } {
  const a = Float64Array.from(accum, (ai, i) => o.momentum * ai + gradient(w, g, i, o));
  const param = Float64Array.from(w, (wi, i) => {
    const gi = gradient(w, g, i, o);
    return wi - o.lr * (o.nesterov ? gi + o.momentum * (a[i] as number) : (a[i] as number));
  });
  return { param, accum: a };
}

export function adamRef(
  w: Values,
  m: Values,
  v: Values,
  g: Values,
  o: StepValues & { step: number; beta1: number; beta2: number; epsilon: number },
): { param: Float64Array; m: Float64Array; v: Float64Array } {
  const alpha = (o.lr * Math.sqrt(1 - o.beta2 ** o.step)) / (1 - o.beta1 ** o.step);
  const m1 = Float64Array.from(m, (mi, i) => mi + (gradient(w, g, i, o) - mi) * (1 - o.beta1));
  const v1 = Float64Array.from(v, (vi, i) => vi + (gradient(w, g, i, o) ** 2 - vi) * (1 - o.beta2));
  const param = Float64Array.from(w, (wi, i) => wi - (alpha * (m1[i] as number)) / (Math.sqrt(v1[i] as number) + o.epsilon));
  return { param, m: m1, v: v1 };
}

/** tf.clip_by_global_norm's factor: maxNorm · min(1/norm, 1/maxNorm). */
export function clipScaleRef(norm: number, maxNorm: number): number {
  return norm === 0 ? 1 : Math.min(1, maxNorm / norm);
}
