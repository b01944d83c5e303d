/**
 * Classification accuracy on the GPU: how many rows of logits [B, classes] have their argmax equal to the row's
 * label (u32). ENAS's controller reward is this fraction on one validation minibatch (OFF `build_valid_rl` in
 * general_child.py / micro_child.py: tf.argmax, tf.equal, tf.reduce_sum), so it is computed where the logits are and
 * read back only by whoever wants to print it.
 *
 * Tie rule: the lowest index among equal maxima is the argmax (numpy's documented rule, and what tf.argmax does on
 * CPU), so a row whose label ties with an earlier class counts as wrong. A NaN logit never compares greater, so it is
 * the argmax only in column 0. Labels ≥ classes never match. Counts are exact in f32 up to 2^24 rows.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkOutIndex } from './sum.js';
import { REDUCE_WG, workgroupSumBytes, workgroupSumWgsl } from './workgroup-sum.js';

export const accuracyCountKernel = defineKernel({
  name: 'accuracy_count',
  bindings: { logits: read(), labels: read('u32'), out: readWrite() },
  uniforms: { rows: 'u32', classes: 'u32', outIndex: 'u32' },
  workgroupSize: [REDUCE_WG, 1, 1],
  workgroupMemoryBytes: () => workgroupSumBytes('f32'),
  wgsl: (c: { fraction: boolean; accumulate: boolean }) => /* wgsl */ `
${workgroupSumWgsl('workgroupSum')}
@compute @workgroup_size(WG_X)
fn main(@builtin(local_invocation_index) lid: u32) {
  var correct = 0.0;
  for (var row = lid; row < u.rows; row = row + WG_X) {
    let base = row * u.classes;
    var best = 0u;
    var bestValue = logits[base];
    for (var k = 1u; k < u.classes; k = k + 1u) {
      let v = logits[base + k];
      // Strictly greater: the first of equal maxima stays the argmax.
      if (v > bestValue) {
        best = k;
        bestValue = v;
      }
    }
    if (best == labels[row]) {
      correct = correct + 1.0;
    }
  }
  let total = workgroupSum(lid, correct);
  if (lid == 0u) {
    let r = ${c.fraction ? 'total / f32(u.rows)' : 'total'};
    ${c.accumulate ? 'out[u.outIndex] = out[u.outIndex] + r;' : 'out[u.outIndex] = r;'}
  }
}`,
});

export interface AccuracyOperands {
  /** [rows, classes], row-major. */
  readonly logits: BufferSlice;
  /** [rows] u32 class indices. */
  readonly labels: BufferSlice;
  /** Receives the count (or fraction) at element `outIndex`. */
  readonly out: BufferSlice;
}

export interface AccuracyOptions {
  /** Store count / rows instead of the count. */
  readonly fraction?: boolean;
  readonly outIndex?: number;
  /** Add to out[outIndex] (summing counts over several batches without reading anything back). */
  readonly accumulate?: boolean;
}

/** out[outIndex] = #{ r : argmax_k logits[r, k] == labels[r] } (or that over rows with `fraction`). */
export function accuracyCount(
  rec: Recorder,
  t: AccuracyOperands,
  shape: { readonly rows: number; readonly classes: number },
  options: AccuracyOptions = {},
): void {
  const { rows, classes } = shape;
  for (const [name, v] of Object.entries({ rows, classes })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`accuracyCount: ${name} = ${v}; must be a positive integer`);
  }
  if (t.logits.size < rows * classes * 4) {
    throw new Error(
      `accuracyCount: logits hold ${Math.floor(t.logits.size / 4)} floats but [rows ${rows}, classes ${classes}] needs ${rows * classes}`,
    );
  }
  if (t.labels.size < rows * 4) {
    throw new Error(`accuracyCount: labels hold ${Math.floor(t.labels.size / 4)} u32 but rows = ${rows}; pass one label per row`);
  }
  const outIndex = options.outIndex ?? 0;
  checkOutIndex('accuracyCount', t.out, outIndex);
  accuracyCountKernel.dispatch(rec, {
    config: { fraction: !!options.fraction, accumulate: !!options.accumulate },
    bind: t,
    uniforms: { rows, classes, outIndex },
    grid: [1],
  });
}
