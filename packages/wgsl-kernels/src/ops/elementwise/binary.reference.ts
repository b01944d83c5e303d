/** Float64 references of the binary elementwise ops. */
import { BINARY_OPS, type BinaryOp } from './binary.js';

export function binaryRef(op: BinaryOp, a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const f = BINARY_OPS[op].cpu;
  return Float64Array.from(a, (v, i) => f(v, b[i] as number));
}

export function mulBackwardRef(a: ArrayLike<number>, b: ArrayLike<number>, dy: ArrayLike<number>): { da: Float64Array; db: Float64Array } {
  return {
    da: Float64Array.from(dy, (g, i) => g * (b[i] as number)),
    db: Float64Array.from(dy, (g, i) => g * (a[i] as number)),
  };
}
