/**
 * Global-norm gradient clipping without a readback: globalNorm (ops/reduce) writes the norm into `hyper`, this
 * one-invocation kernel turns it into the scale that tf.clip_by_global_norm applies,
 *
 *   scale = maxNorm · min(1/norm, 1/maxNorm) = min(1, maxNorm / norm),
 *
 * and the updates multiply every gradient by hyper[gradScale] (slots.gradScale). A zero norm leaves the gradients
 * as they are (the division is guarded by a tiny floor). A non-finite norm is not detected here: TF would turn all
 * gradients into NaN, while WGSL's min/max of a NaN is implementation-defined; an engine that wants to skip such
 * steps reads the norm back asynchronously.
 */
import { defineKernel, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkHyperIndex, HYPER } from './hyper.js';

export const clipScaleKernel = defineKernel({
  name: 'clip_scale',
  bindings: { hyper: readWrite() },
  uniforms: { normIndex: 'u32', scaleIndex: 'u32', maxNorm: 'f32' },
  workgroupSize: [1, 1, 1],
  wgsl: () => /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  let norm = hyper[u.normIndex];
  hyper[u.scaleIndex] = min(1.0, u.maxNorm / max(norm, 1e-30));
}`,
});

export interface ClipScaleOptions {
  /** The clipping threshold (ENAS's LM: 0.1 search, 0.25 final; NNI: 5). */
  readonly maxNorm: number;
  /** Where globalNorm wrote the norm (default HYPER.gradNorm). */
  readonly normIndex?: number;
  /** Where the scale goes (default HYPER.gradScale). */
  readonly scaleIndex?: number;
}

/** hyper[scaleIndex] = min(1, maxNorm / hyper[normIndex]). */
export function clipScale(rec: Recorder, hyper: BufferSlice, options: ClipScaleOptions): void {
  const fn = 'clipScale';
  const { maxNorm, normIndex = HYPER.gradNorm, scaleIndex = HYPER.gradScale } = options;
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`${fn}: maxNorm = ${maxNorm}; it must be a positive number`);
  checkHyperIndex(fn, hyper, 'normIndex', normIndex);
  checkHyperIndex(fn, hyper, 'scaleIndex', scaleIndex);
  clipScaleKernel.dispatch(rec, { bind: { hyper }, uniforms: { normIndex, scaleIndex, maxNorm }, grid: [1] });
}
