/**
 * Gradients of C = op(A)·op(B) + bias, as further matmuls (the transposes are folded into operand reads, never
 * materialised):
 *
 *   d op(A) = dC · op(B)ᵀ        d op(B) = op(A)ᵀ · dC        d bias = Σ_rows dC
 *
 * stored back in each operand's own layout. A broadcast operand (stride 0: one weight matrix used by every batch
 * entry) receives the sum over the batch; that is computed as one product with the batch folded into M, which
 * needs the other operand and dC contiguous across the batch.
 */
import { grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { type MatmulShape, matmul, resolveMatmulShape } from './matmul.js';

export interface MatmulGradients {
  /** dC: the gradient of the output, laid out like C. */
  readonly dc: BufferSlice;
  readonly a: BufferSlice;
  readonly b: BufferSlice;
  /** Where to write dA (laid out like A); omitted = not needed. */
  readonly da?: BufferSlice;
  readonly db?: BufferSlice;
  readonly dbias?: BufferSlice;
}

export function matmulBackward(rec: Recorder, t: MatmulGradients, shape: MatmulShape, accumulate = false): void {
  const s = resolveMatmulShape(shape);
  const { M, N, K, batch } = s;
  const opts = { accumulate };

  if (t.da) {
    if (s.strideA === 0 && batch > 1) {
      throw new Error('matmulBackward: the gradient of a broadcast A is not supported; broadcast B instead (C = A·W)');
    }
    if (!s.transA) {
      // dA (M×K) = dC (M×N) · op(B)ᵀ
      matmul(
        rec,
        { a: t.dc, b: t.b, c: t.da },
        { M, N: K, K: N, batch, strideA: s.strideC, strideB: s.strideB, strideC: s.strideA, transB: !s.transB },
        opts,
      );
    } else {
      // dA stored K×M = op(B) (K×N) · dCᵀ
      matmul(
        rec,
        { a: t.b, b: t.dc, c: t.da },
        { M: K, N: M, K: N, batch, strideA: s.strideB, strideB: s.strideC, strideC: s.strideA, transA: s.transB, transB: true },
        opts,
      );
    }
  }

  if (t.db) {
    const broadcast = s.strideB === 0 && batch > 1;
    if (broadcast && (s.transA || s.strideA !== M * K || s.strideC !== M * N)) {
      throw new Error('matmulBackward: a broadcast B needs a non-transposed A and C contiguous across the batch');
    }
    // Folding the batch into the row count sums the per-batch products into one.
    const rows = broadcast ? M * batch : M;
    const nb = broadcast ? 1 : batch;
    if (!s.transB) {
      // dB (K×N) = op(A)ᵀ (K×rows) · dC (rows×N)
      matmul(
        rec,
        { a: t.a, b: t.dc, c: t.db },
        { M: K, N, K: rows, batch: nb, strideA: s.strideA, strideB: s.strideC, strideC: s.strideB, transA: !s.transA },
        opts,
      );
    } else {
      // dB stored N×K = dCᵀ (N×rows) · op(A) (rows×K)
      matmul(
        rec,
        { a: t.dc, b: t.a, c: t.db },
        { M: N, N: K, K: rows, batch: nb, strideA: s.strideC, strideB: s.strideA, strideC: s.strideB, transA: true, transB: s.transA },
        opts,
      );
    }
  }

  if (t.dbias) {
    if (s.strideC !== M * N) throw new Error('matmulBackward: the bias gradient needs C contiguous across the batch');
    columnSum(rec, t.dc, t.dbias, M * batch, N, accumulate);
  }
}

export const columnSumKernel = defineKernel({
  name: 'column_sum',
  bindings: { x: read(), y: readWrite() },
  uniforms: { rows: 'u32', cols: 'u32' },
  workgroupSize: [64, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  if (col >= u.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < u.rows; r = r + 1u) {
    s = s + x[r * u.cols + col];
  }
  ${c.accumulate ? 'y[col] = y[col] + s;' : 'y[col] = s;'}
}`,
});

/** y[col] = Σ_rows x[row, col] for a row-major rows×cols matrix. */
export function columnSum(rec: Recorder, x: BufferSlice, y: BufferSlice, rows: number, cols: number, accumulate = false): void {
  columnSumKernel.dispatch(rec, { config: { accumulate }, bind: { x, y }, uniforms: { rows, cols }, grid: grid1d(rec.ctx, cols, 64) });
}
