/**
 * PersistentStore: long-lived GPU memory in large chunk buffers (at most maxStorageBufferBindingSize each).
 * Allocations are aligned sub-ranges, made once and never moved, so every kernel that reads a parameter binds the
 * same range for the whole run. Two stores that receive the same sequence of allocation sizes have identical
 * layouts: a parameter, its gradient and its optimizer state sit at the same offset of the same-numbered chunk,
 * which lets an optimizer update a whole chunk in one dispatch.
 */
import { alignUp, type BufferSlice, bufferFacts, type GpuContext } from '@enas-webgpu/wgsl-kernels';

const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export interface StoreChunk {
  readonly buffer: GPUBuffer;
  /** Bytes allocated from the start of the chunk (with alignment padding, which stays zero). */
  used: number;
}

export class PersistentStore {
  readonly chunks: StoreChunk[] = [];
  private readonly alignment: number;
  private readonly chunkBytes: number;
  private bytes = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly name: string,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.alignment = ctx.limits.minStorageBufferOffsetAlignment;
    this.chunkBytes = Math.min(chunkBytes, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  }

  /** Bytes handed out (with alignment padding). */
  get allocatedBytes(): number {
    return this.bytes;
  }

  alloc(bytes: number, what: string): BufferSlice {
    const size = alignUp(Math.max(4, bytes), this.alignment);
    const limit = Math.min(this.ctx.limits.maxStorageBufferBindingSize, this.ctx.limits.maxBufferSize);
    if (size > limit) {
      throw new Error(
        `${what} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize ${this.ctx.limits.maxStorageBufferBindingSize}`,
      );
    }
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || chunk.used + size > bufferFacts(chunk.buffer).size) {
      chunk = {
        buffer: this.ctx.createBuffer(
          `${this.name}#${this.chunks.length}`,
          Math.max(size, this.chunkBytes),
          GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        ),
        used: 0,
      };
      this.chunks.push(chunk);
    }
    const slice = { buffer: chunk.buffer, offset: chunk.used, size: alignUp(Math.max(4, bytes), 4) };
    chunk.used += size;
    this.bytes += size;
    return slice;
  }

  /** The used part of each chunk, as slices (what whole-store kernels bind). */
  usedSlices(): BufferSlice[] {
    return this.chunks.filter((c) => c.used > 0).map((c) => ({ buffer: c.buffer, offset: 0, size: c.used }));
  }

  destroy(): void {
    for (const c of this.chunks) this.ctx.destroyBuffer(c.buffer);
    this.chunks.length = 0;
  }
}
