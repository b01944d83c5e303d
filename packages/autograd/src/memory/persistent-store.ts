/**
 * PersistentStore: long-lived GPU memory — parameters, their gradients, optimizer state, running statistics.
 * Allocations are aligned sub-ranges of large chunk buffers (at most maxStorageBufferBindingSize each), made once
 * and never moved, so every kernel that reads a parameter binds the same range for the whole run.
 */
import { alignUp, type BufferSlice, type GpuContext } from '@enas-webgpu/wgsl-kernels';

const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export class PersistentStore {
  private chunks: GPUBuffer[] = [];
  private offset = 0;
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
    if (size > Math.min(this.ctx.limits.maxStorageBufferBindingSize, this.ctx.limits.maxBufferSize)) {
      throw new Error(
        `${what} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize ${this.ctx.limits.maxStorageBufferBindingSize}`,
      );
    }
    let buffer = this.chunks[this.chunks.length - 1];
    if (!buffer || this.offset + size > buffer.size) {
      buffer = this.ctx.createBuffer(
        `${this.name}#${this.chunks.length}`,
        Math.max(size, this.chunkBytes),
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      );
      this.chunks.push(buffer);
      this.offset = 0;
    }
    const slice = { buffer, offset: this.offset, size: alignUp(Math.max(4, bytes), 4) };
    this.offset += size;
    this.bytes += size;
    return slice;
  }

  destroy(): void {
    for (const c of this.chunks) this.ctx.destroyBuffer(c);
    this.chunks = [];
  }
}
