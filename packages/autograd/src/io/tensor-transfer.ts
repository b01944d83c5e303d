/**
 * Bulk transfer of named tensors between the GPU and the CPU, for checkpoints: every buffer involved is read back
 * once (a chunk of the parameter store holds thousands of tensors), then cut into tensors on the CPU.
 */
import { type BufferSlice, type GpuContext, readSlice } from '@enas-webgpu/wgsl-kernels';

/** Reads every named slice; one readback per distinct buffer, covering the range the slices use. */
export async function readNamedSlices(ctx: GpuContext, named: readonly [string, BufferSlice][]): Promise<Map<string, Float32Array>> {
  const byBuffer = new Map<GPUBuffer, [string, BufferSlice][]>();
  for (const entry of named) {
    const list = byBuffer.get(entry[1].buffer);
    if (list) list.push(entry);
    else byBuffer.set(entry[1].buffer, [entry]);
  }
  const out = new Map<string, Float32Array>();
  for (const [buffer, entries] of byBuffer) {
    const start = Math.min(...entries.map(([, s]) => s.offset));
    const end = Math.max(...entries.map(([, s]) => s.offset + s.size));
    const bytes = await readSlice(ctx, { buffer, offset: start, size: end - start });
    for (const [name, s] of entries) out.set(name, new Float32Array(bytes.slice(s.offset - start, s.offset - start + s.size)));
  }
  return out;
}

/** Writes values into named slices (sizes must match exactly). */
export function writeNamedSlices(
  ctx: GpuContext,
  named: readonly [string, BufferSlice][],
  values: ReadonlyMap<string, ArrayBufferView>,
  what: string,
): void {
  for (const [name, s] of named) {
    const v = values.get(name);
    if (!v) throw new Error(`${what}: no tensor '${name}' in the checkpoint (was it written by another configuration?)`);
    if (v.byteLength !== s.size)
      throw new Error(`${what}: tensor '${name}' has ${v.byteLength} bytes in the checkpoint, ${s.size} expected`);
    ctx.writeBuffer(s.buffer, s.offset, v);
  }
}
