/**
 * Region: a bump allocator for one training step's temporaries, reset when the next step begins.
 *
 * A step's allocations come in the same order every time the same computation runs, so a tensor lands at the same
 * offset step after step: the bind groups and uniform records of its kernels are found in the caches and nothing
 * is created or written once the run is warm. Reset happens only after the previous step was submitted; WebGPU
 * executes submits in order, so reuse by the next step's commands cannot overtake the previous step's reads.
 *
 * Storage comes in chunks of at most maxStorageBufferBindingSize, so one tensor is always one binding. When a step
 * needs more than the region holds, a chunk is added; at the next reset the chunks are merged into one chunk of
 * the high-water size (when that fits a binding), so the steady state is one buffer per region.
 */
import { alignUp, type BufferSlice, bufferFacts, type GpuContext } from '@enas-webgpu/wgsl-kernels';

const MIN_CHUNK_BYTES = 64 * 1024;

export class Region {
  private chunks: GPUBuffer[] = [];
  private chunk = 0;
  private offset = 0;
  private usedThisStep = 0;
  private readonly alignment: number;
  private readonly chunkLimit: number;

  constructor(
    private readonly ctx: GpuContext,
    readonly name: string,
  ) {
    this.alignment = ctx.limits.minStorageBufferOffsetAlignment;
    this.chunkLimit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  }

  /** Bytes held on the GPU. */
  get capacity(): number {
    return this.chunks.reduce((s, c) => s + c.size, 0);
  }

  /** Bytes handed out since the last reset (with alignment padding). */
  get used(): number {
    return this.usedThisStep;
  }

  alloc(bytes: number, what: string): BufferSlice {
    const size = alignUp(Math.max(4, bytes), this.alignment);
    if (size > this.chunkLimit) {
      throw new Error(
        `${what} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize ${this.ctx.limits.maxStorageBufferBindingSize}; ` +
          'use a smaller batch or split the tensor',
      );
    }
    for (;;) {
      let buffer = this.chunks[this.chunk];
      if (!buffer) {
        const grow = Math.max(size, MIN_CHUNK_BYTES, 2 * (this.chunks[this.chunks.length - 1]?.size ?? 0));
        buffer = this.ctx.createBuffer(
          `${this.name}#${this.chunks.length}`,
          Math.min(this.chunkLimit, grow),
          GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        );
        this.chunks.push(buffer);
      }
      if (this.offset + size <= bufferFacts(buffer).size) {
        const slice = { buffer, offset: this.offset, size: alignUp(Math.max(4, bytes), 4) };
        this.offset += size;
        this.usedThisStep += size;
        return slice;
      }
      this.chunk += 1;
      this.offset = 0;
    }
  }

  /** Starts a new step. Merges chunks when the last step needed several and one binding can hold them all. */
  reset(): void {
    const used = this.usedThisStep;
    if (this.chunks.length > 1 && used <= this.chunkLimit) {
      for (const c of this.chunks) this.ctx.destroyBuffer(c);
      this.chunks = [
        this.ctx.createBuffer(`${this.name}#0`, used, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      ];
    }
    this.chunk = 0;
    this.offset = 0;
    this.usedThisStep = 0;
  }

  destroy(): void {
    for (const c of this.chunks) this.ctx.destroyBuffer(c);
    this.chunks = [];
  }
}
