/** Float64 references of matmul and its gradients (straight from the definitions, no transposition tricks). */
import { type MatmulShape, resolveMatmulShape } from './matmul.js';

function aAt(a: ArrayLike<number>, s: Required<MatmulShape>, batch: number, m: number, k: number): number {
  return a[batch * s.strideA + (s.transA ? k * s.M + m : m * s.K + k)] as number;
}
function bAt(b: ArrayLike<number>, s: Required<MatmulShape>, batch: number, k: number, n: number): number {
  return b[batch * s.strideB + (s.transB ? n * s.K + k : k * s.N + n)] as number;
}

/** C (batch·strideC elements, untouched gaps left 0) = op(A)·op(B) + bias. */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, shape: MatmulShape, bias?: ArrayLike<number>): Float64Array {
  const s = resolveMatmulShape(shape);
  const c = new Float64Array((s.batch - 1) * s.strideC + s.M * s.N);
  for (let bt = 0; bt < s.batch; bt++) {
    for (let m = 0; m < s.M; m++) {
      for (let n = 0; n < s.N; n++) {
        let acc = bias ? (bias[n] as number) : 0;
        for (let k = 0; k < s.K; k++) acc += aAt(a, s, bt, m, k) * bAt(b, s, bt, k, n);
        c[bt * s.strideC + m * s.N + n] = acc;
      }
    }
  }
  return c;
}

/** Gradients of sum(C ⊙ dC) with respect to A, B and bias, in their storage layouts (broadcasts summed). */
export function matmulBackwardRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dc: ArrayLike<number>,
  shape: MatmulShape,
): { da: Float64Array; db: Float64Array; dbias: Float64Array } {
  const s = resolveMatmulShape(shape);
  const da = new Float64Array(Math.max(a.length, (s.batch - 1) * s.strideA + s.M * s.K));
  const db = new Float64Array(Math.max(b.length, (s.batch - 1) * s.strideB + s.K * s.N));
  const dbias = new Float64Array(s.N);
  for (let bt = 0; bt < s.batch; bt++) {
    for (let m = 0; m < s.M; m++) {
      for (let n = 0; n < s.N; n++) {
        const g = dc[bt * s.strideC + m * s.N + n] as number;
        dbias[n] = (dbias[n] as number) + g;
        for (let k = 0; k < s.K; k++) {
          const ai = bt * s.strideA + (s.transA ? k * s.M + m : m * s.K + k);
          const bi = bt * s.strideB + (s.transB ? n * s.K + k : k * s.N + n);
          da[ai] = (da[ai] as number) + g * (b[bi] as number);
          db[bi] = (db[bi] as number) + g * (a[ai] as number);
        }
      }
    }
  }
  return { da, db, dbias };
}
