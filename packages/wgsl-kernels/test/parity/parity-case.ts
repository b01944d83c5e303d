/**
 * A parity case: one kernel wrapper, deterministic inputs, and the float64 reference of what it computes. The same
 * case list runs in Node (Dawn) and in a browser page (Chromium's WebGPU), and the two must agree: WGSL that only
 * works on one implementation is a defect the unit tests (Node only) cannot see.
 *
 * Inputs come from the seeded `Rng` (integer arithmetic only), so both runtimes build bit-identical data; the
 * runner hashes them so a mismatch is reported as such, never as a kernel difference. Do not build inputs with
 * transcendental `Math` functions (exp, tanh, cos...): their last bit may differ between V8 versions.
 */
import type { Recorder } from '../../src/kernel/recorder.js';
import type { BufferSlice } from '../../src/kernel/slice.js';
import { Rng } from '../../src/util/rng.js';

export type InputArray = Float32Array | Uint32Array | Int32Array;

/**
 * An output buffer: `count` elements poisoned before the run (NaN for f32, all ones for integers) so an unwritten
 * element fails, or `initial` contents for kernels that accumulate into their output.
 */
export type OutputSpec = { readonly count: number; readonly type?: 'f32' | 'u32' | 'i32' } | { readonly initial: InputArray };

export interface ParityCase<I extends string = string, O extends string = string> {
  /** Unique; also seeds the case's Rng, so adding or removing a case changes no other case's inputs. */
  readonly name: string;
  /** Operation family (folder under src/ops), for reports. */
  readonly family: string;
  readonly inputs: (rng: Rng) => Record<I, InputArray>;
  readonly outputs: (inputs: Record<I, InputArray>) => Record<O, OutputSpec>;
  /** Records the kernel(s) under test; `t` holds a slice for every input and output. */
  readonly record: (rec: Recorder, t: Record<I | O, BufferSlice>) => void;
  /** Float64 expected values of every output (the family's CPU reference), so a case cannot pass on garbage. */
  readonly reference: (inputs: Record<I, InputArray>) => Record<O, ArrayLike<number>>;
  /** Tolerance of each runtime against the reference (default 1e-4, the f32 kernel standard). */
  readonly referenceRtol?: number;
  /**
   * Places every operand in ONE buffer at offsets aligned to the device's minStorageBufferOffsetAlignment (16 on
   * lavapipe, 256 in Chromium) instead of one buffer each. Exercises aligned sub-slices, as arenas and the weight
   * pool bind them, and the read_write pipeline variant used when reads and writes share a buffer.
   */
  readonly arena?: boolean;
}

/**
 * Identity function that fixes the case's input and output names, so `record` and `reference` are checked
 * against them: one `parityCase({...})` per kernel (or kernel configuration) is all a family adds.
 */
export function parityCase<I extends string, O extends string>(c: ParityCase<I, O>): ParityCase {
  return c as unknown as ParityCase;
}

/** FNV-1a of a string: the per-case seed. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function caseRng(c: ParityCase): Rng {
  return new Rng(seedOf(c.name));
}

/** FNV-1a over the bytes of every input, in name order: equal hashes mean both runtimes fed the kernel the same bits. */
export function hashInputs(inputs: Record<string, InputArray>): string {
  let h = 0x811c9dc5;
  for (const name of Object.keys(inputs).sort()) {
    const a = inputs[name] as InputArray;
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function outputType(spec: OutputSpec): 'f32' | 'u32' | 'i32' {
  if ('initial' in spec) return spec.initial instanceof Float32Array ? 'f32' : spec.initial instanceof Int32Array ? 'i32' : 'u32';
  return spec.type ?? 'f32';
}

/** `values + prior`, elementwise: the expected contents of an output a kernel accumulates into. */
export function plusPrior(values: ArrayLike<number>, prior: ArrayLike<number>): Float64Array {
  return Float64Array.from(values, (v, i) => v + (prior[i] as number));
}

/**
 * The bit patterns of `values` rounded to f32. For kernels whose f32 output must be bit-identical in every runtime
 * (random masks, augmentation: each element is a copy of an input, 0, or an exact product): declare the output
 * `{ count, type: 'u32' }` so it is read back as bits and compared exactly, and give this as its reference.
 * Only valid where the float64 reference rounds to exactly what f32 arithmetic gives (say why at the case).
 */
export function f32Bits(values: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(values).buffer);
}
