/** Operand checks shared by the shape kernels (each message names the function, the operand and the shape). */
import type { BufferSlice } from '../../kernel/slice.js';

/** Throws unless `slice` holds at least `elements` f32 values. */
export function checkShapeOperand(fn: string, name: string, slice: BufferSlice, elements: number, shape: string): void {
  if (slice.size < elements * 4) {
    throw new Error(
      `${fn}: operand '${name}' holds ${Math.floor(slice.size / 4)} elements but ${shape} needs ${elements}; pass a larger slice`,
    );
  }
}

/** Throws when two slices share bytes of one buffer: a kernel reading one while writing the other would race. */
export function checkNoOverlap(fn: string, a: [string, BufferSlice], b: [string, BufferSlice]): void {
  const [sa, sb] = [a[1], b[1]];
  if (sa.buffer === sb.buffer && sa.offset < sb.offset + sb.size && sb.offset < sa.offset + sa.size) {
    throw new Error(
      `${fn}: operands '${a[0]}' and '${b[0]}' overlap in buffer '${sa.buffer.label}' ` +
        `([${sa.offset}, ${sa.offset + sa.size}) and [${sb.offset}, ${sb.offset + sb.size}) bytes); use separate tensors`,
    );
  }
}

/** "[N, C, H, W]" for messages. */
export const dims = (...d: number[]): string => `[${d.join(', ')}]`;
