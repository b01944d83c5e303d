/**
 * Comparing GPU results (f32) against float64 references.
 *
 * The criterion is per element: |actual - expected| <= rtol * max(|expected|, floor), with floor = mean |expected|
 * over the tensor. A plain relative error explodes on elements that are near zero by cancellation (a sum of
 * positive and negative products), where f32 rounding is relative to the operands, not the result; the floor puts
 * such elements on the tensor's own scale. NaN or infinity anywhere fails, which is how poisoned (never written)
 * outputs are caught.
 */
export interface CloseOptions {
  /** Relative tolerance (1e-4 for f32 kernels; 1e-3 for long reductions such as matmul, stated at the call). */
  rtol?: number;
  /** What is being compared, for the message. */
  label?: string;
  /** Overrides the floor (absolute scale) below which errors are judged on the tensor's scale. */
  floor?: number;
}

export interface CloseReport {
  maxRelError: number;
  worstIndex: number;
}

export function compareClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CloseOptions = {}): CloseReport {
  const rtol = options.rtol ?? 1e-4;
  const label = options.label ?? 'result';
  if (actual.length !== expected.length) {
    throw new Error(`${label}: ${actual.length} values, expected ${expected.length}`);
  }
  let meanAbs = 0;
  for (let i = 0; i < expected.length; i++) meanAbs += Math.abs(expected[i] as number);
  meanAbs /= Math.max(1, expected.length);
  const floor = options.floor ?? Math.max(meanAbs, 1e-30);
  let maxRel = 0;
  let worst = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!Number.isFinite(a)) {
      throw new Error(`${label}: element ${i} is ${a} (expected ${e}); an output left unwritten stays NaN-poisoned`);
    }
    const rel = Math.abs(a - e) / Math.max(Math.abs(e), floor);
    if (rel > maxRel) {
      maxRel = rel;
      worst = i;
    }
  }
  if (maxRel > rtol) {
    throw new Error(
      `${label}: relative error ${maxRel.toExponential(3)} > ${rtol} at element ${worst} ` +
        `(got ${actual[worst]}, expected ${expected[worst]}; scale ${floor.toExponential(3)})`,
    );
  }
  return { maxRelError: maxRel, worstIndex: worst };
}

/** Throws unless every element is finite and matches within rtol; returns the worst relative error. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CloseOptions = {}): number {
  return compareClose(actual, expected, options).maxRelError;
}

/**
 * Central finite differences of a scalar float64 function: d f / d x_i for every i. Used to check that each
 * analytic backward reference is the derivative of its forward reference.
 */
export function finiteDifferences(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const xi = probe[i] as number;
    probe[i] = xi + eps;
    const plus = f(probe);
    probe[i] = xi - eps;
    const minus = f(probe);
    probe[i] = xi;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** <a, b>: the scalar a random-projection gradient check contracts an output with. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
