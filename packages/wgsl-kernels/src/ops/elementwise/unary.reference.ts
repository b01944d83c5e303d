/** Float64 references of the unary activations (from the same table as the kernels). */
import { UNARY_OPS, type UnaryOp } from './unary-ops.js';

export function unaryRef(op: UnaryOp, x: ArrayLike<number>): Float64Array {
  const f = UNARY_OPS[op].cpu;
  return Float64Array.from(x, (v) => f(v));
}

/**
 * dx for given dy. `y` is the forward output the kernel is handed; pass the f32 values the GPU saw, because
 * derivatives written in terms of y (tanh: 1 − y²) are ill-conditioned near saturation and must be compared on the
 * same inputs. Omitted, y is recomputed in float64.
 */
export function unaryBackwardRef(op: UnaryOp, x: ArrayLike<number>, dy: ArrayLike<number>, y?: ArrayLike<number>): Float64Array {
  const row = UNARY_OPS[op];
  return Float64Array.from(x, (v, i) => row.cpuGrad(v, y ? (y[i] as number) : row.cpu(v), dy[i] as number));
}
