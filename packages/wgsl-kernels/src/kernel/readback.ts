/**
 * Reading GPU memory back. Every readback is asynchronous: a mapAsync costs ~50-100 us on lavapipe and ~0.5 ms on
 * an H200 through Dawn, so training loops never wait for one inside a step. `readSlice` is for tests and tools;
 * `ReadbackRing` queues small copies into a step's own command buffer and resolves them after that step finishes,
 * while later steps are already recorded.
 */
import type { GpuContext } from '../device/context.js';
import type { Recorder } from './recorder.js';
import { alignUp, type BufferSlice } from './slice.js';

/** Copies `slice` to the CPU (one submit of its own). */
export async function readSlice(ctx: GpuContext, slice: BufferSlice): Promise<ArrayBuffer> {
  const size = alignUp(slice.size, 4);
  const staging = ctx.createBuffer(`readback(${slice.buffer.label})`, size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  try {
    const encoder = ctx.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(slice.buffer, slice.offset, staging, 0, size);
    ctx.submit([encoder.finish()], `readback ${slice.buffer.label}`);
    await staging.mapAsync(GPUMapMode.READ);
    ctx.check();
    const copy = staging.getMappedRange(0, size).slice(0, slice.size);
    staging.unmap();
    ctx.stats.bytesRead += slice.size;
    return copy;
  } finally {
    ctx.destroyBuffer(staging);
  }
}

export async function readF32(ctx: GpuContext, slice: BufferSlice): Promise<Float32Array> {
  return new Float32Array(await readSlice(ctx, slice));
}

export async function readU32(ctx: GpuContext, slice: BufferSlice): Promise<Uint32Array> {
  return new Uint32Array(await readSlice(ctx, slice));
}

/**
 * A ring of small MAP_READ staging buffers. `enqueue` records a copy into the current recorder; the returned promise
 * resolves with the bytes once that recorder's submit has run on the GPU. Buffers are reused after they are read,
 * so a long run allocates only as many as are in flight at once. Staging buffers come in power-of-two sizes from
 * `bytesPerRead` up, each size with its own free list: most reads are a few scalars, and a few are larger (a
 * macro architecture of 24 layers is 300 words).
 */
export class ReadbackRing {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: { staging: GPUBuffer; size: number; rec: Recorder; resolve: (b: ArrayBuffer) => void; reject: (e: unknown) => void }[] =
    [];
  private created = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly bytesPerRead = 256,
  ) {}

  /** Number of staging buffers ever created (bounded by the number of reads in flight). */
  get buffersCreated(): number {
    return this.created;
  }

  enqueue(rec: Recorder, slice: BufferSlice): Promise<ArrayBuffer> {
    const size = alignUp(slice.size, 4);
    let capacity = this.bytesPerRead;
    while (capacity < size) capacity *= 2;
    let staging = this.free.get(capacity)?.pop();
    if (!staging) {
      staging = this.ctx.createBuffer(`readback-ring#${this.created++}`, capacity, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    }
    rec.commandEncoder.copyBufferToBuffer(slice.buffer, slice.offset, staging, 0, size);
    return new Promise<ArrayBuffer>((resolve, reject) => {
      this.pending.push({ staging: staging as GPUBuffer, size: slice.size, rec, resolve, reject });
    });
  }

  /** Starts mapping every enqueued read whose recorder has been submitted. Call after each submit. */
  flush(): void {
    const waiting: typeof this.pending = [];
    for (const p of this.pending) {
      if (!p.rec.isSubmitted) {
        waiting.push(p);
        continue;
      }
      p.staging.mapAsync(GPUMapMode.READ).then(
        () => {
          const bytes = p.staging.getMappedRange(0, alignUp(p.size, 4)).slice(0, p.size);
          p.staging.unmap();
          this.ctx.stats.bytesRead += p.size;
          const sized = this.free.get(p.staging.size);
          if (sized) sized.push(p.staging);
          else this.free.set(p.staging.size, [p.staging]);
          p.resolve(bytes);
        },
        (error) => p.reject(error),
      );
    }
    this.pending = waiting;
  }

  destroy(): void {
    for (const buffers of this.free.values()) for (const b of buffers) this.ctx.destroyBuffer(b);
    this.free.clear();
  }
}
