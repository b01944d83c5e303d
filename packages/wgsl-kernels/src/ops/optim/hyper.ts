/**
 * The `hyper` buffer: the per-step values of an optimizer, kept in a small f32 storage buffer that the update
 * kernels read, never in uniforms. Uniform records are content-addressed and written once (kernel/uniforms.ts), so
 * a learning rate that changes every step would add a record every step; a storage buffer is rewritten in place
 * instead, by the CPU (a few bytes of queue.writeBuffer before the step's submit) or by kernels (globalNorm,
 * clipScale) without the value ever leaving the GPU.
 *
 * Default layout, one buffer per optimizer (the child network's and the controller's), f32 elements:
 *
 *   HYPER.lr        0  learning rate of this step                      written by the CPU (SGDR schedule, ...)
 *   HYPER.step      1  Adam's step t ≥ 1, an integer (exact to 2^24)    written by the CPU
 *   HYPER.gradNorm  2  global norm of the gradients                    written by globalNorm
 *   HYPER.gradScale 3  min(1, maxNorm / gradNorm)                      written by clipScale, read by the updates
 *
 * The kernels receive the indices as uniforms (constant for a run, so their records are reused), which lets an
 * engine use any other layout, e.g. several optimizers in one buffer.
 */
import type { GpuContext } from '../../device/context.js';
import type { BufferSlice } from '../../kernel/slice.js';

export const HYPER = { lr: 0, step: 1, gradNorm: 2, gradScale: 3 } as const;
/** Floats of a `hyper` buffer with the default layout. */
export const HYPER_FLOATS = 4;

/** Where an update finds its per-step values in `hyper` (element indices). */
export interface HyperSlots {
  readonly lr: number;
  /** Adam only: the step count t ≥ 1. */
  readonly step?: number;
  /** A gradient multiplier (clipScale's output). Omitted: gradients are used as they are, nothing is read. */
  readonly gradScale?: number;
}

/**
 * Writes consecutive values into `hyper` from element `index` on (e.g. writeHyper(ctx, hyper, HYPER.lr, [lr, t])).
 * queue.writeBuffer is ordered with submits: call it before submitting the step that must see the values, and a
 * step submitted earlier still sees the old ones.
 */
export function writeHyper(ctx: GpuContext, hyper: BufferSlice, index: number, values: readonly number[]): void {
  if (!Number.isInteger(index) || index < 0 || (index + values.length) * 4 > hyper.size) {
    throw new Error(
      `writeHyper: elements [${index}, ${index + values.length}) are outside the hyper slice of ${Math.floor(hyper.size / 4)} floats`,
    );
  }
  ctx.writeBuffer(hyper.buffer, hyper.offset + index * 4, Float32Array.from(values));
}

/** Throws unless `index` addresses an element of `hyper`. */
export function checkHyperIndex(fn: string, hyper: BufferSlice, name: string, index: number): void {
  if (!Number.isInteger(index) || index < 0 || (index + 1) * 4 > hyper.size) {
    throw new Error(`${fn}: hyper slot '${name}' = ${index} is outside the hyper buffer of ${Math.floor(hyper.size / 4)} floats`);
  }
}

/**
 * The checks every elementwise update shares: n, operand sizes, slot indices, and no overlap between a written
 * operand and any other (WebGPU rejects a writable binding that aliases another binding's range).
 */
export function checkUpdate(
  fn: string,
  n: number,
  operands: Readonly<Record<string, BufferSlice>>,
  written: readonly string[],
  hyper: BufferSlice,
  slots: Readonly<Record<string, number | undefined>>,
): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: n = ${n}; update at least one parameter`);
  for (const [name, slice] of Object.entries(operands)) {
    if (slice.size < n * 4)
      throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but n = ${n} parameters are updated`);
  }
  for (const [name, index] of Object.entries(slots)) if (index !== undefined) checkHyperIndex(fn, hyper, name, index);
  const all: Readonly<Record<string, BufferSlice>> = { ...operands, hyper };
  for (const w of written) {
    const a = all[w] as BufferSlice;
    for (const [other, b] of Object.entries(all)) {
      if (other !== w && a.buffer === b.buffer && a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        throw new Error(`${fn}: ${w} overlaps ${other} in buffer '${a.buffer.label}'; every operand needs its own range`);
      }
    }
  }
}

export function checkCoefficient(fn: string, name: string, value: number, lo: number, hi: number, hiOpen = false): void {
  const ok = value >= lo && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new Error(`${fn}: ${name} = ${value}; it must lie in [${lo}, ${hi}${hiOpen ? ')' : ']'}`);
}
