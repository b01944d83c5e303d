/**
 * Test helper: every operand of a dispatch as a slice of one buffer, the way the engine's tensors share arena
 * buffers. A dispatch that reads and writes one buffer runs its all-read_write kernel variant, which tests must
 * cover too. Parts are placed at the device's storage offset alignment, in declaration order.
 */
import type { GpuContext } from '../../device/context.js';
import { alignUp, type BufferSlice, subSlice } from '../../kernel/slice.js';
import { download, downloadU32, upload } from '../../testing/index.js';

export interface TestArena<K extends string> {
  readonly slices: Readonly<Record<K, BufferSlice>>;
  readF32(name: K): Promise<Float32Array>;
  readU32(name: K): Promise<Uint32Array>;
}

/** Lays out `parts` (f32 or u32 contents; NaN-poison outputs before passing them) in one buffer. */
export function arenaOf<K extends string>(ctx: GpuContext, parts: Readonly<Record<K, Float32Array | Uint32Array>>): TestArena<K> {
  const entries = Object.entries(parts) as [K, Float32Array | Uint32Array][];
  const align = ctx.storageAlignment;
  const offsets: Record<string, number> = {};
  let bytes = 0;
  for (const [name, data] of entries) {
    offsets[name] = bytes;
    bytes = alignUp(bytes + Math.max(4, data.byteLength), align);
  }
  const image = new Uint8Array(bytes);
  for (const [name, data] of entries) {
    image.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offsets[name] as number);
  }
  const whole = upload(ctx, new Float32Array(image.buffer));
  const slices = Object.fromEntries(
    entries.map(([name, data]) => [name, subSlice(whole, offsets[name] as number, Math.max(4, data.byteLength))]),
  ) as Record<K, BufferSlice>;
  return {
    slices,
    readF32: async (name) => Float32Array.from(await download(ctx, slices[name])),
    readU32: async (name) => Uint32Array.from(await downloadU32(ctx, slices[name])),
  };
}
