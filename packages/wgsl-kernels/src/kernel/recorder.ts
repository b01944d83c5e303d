/**
 * Recorder: one command encoder and one compute pass for a whole unit of work (a training step), submitted once.
 * Kernels add dispatches; copies and clears close the pass and reopen it after, as WebGPU requires.
 */
import type { GpuContext } from '../device/context.js';
import { debugLevel, debugLog } from '../device/debug.js';
import type { BufferSlice } from './slice.js';

/** What one dispatch needs at encode time: everything already created, so encoding allocates nothing. */
export interface EncodedDispatch {
  readonly label: string;
  /** "kernel 'label'", the context's name for the last thing recorded (made once per kernel, not per dispatch). */
  readonly site: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  /** Byte offset of this dispatch's uniform record in the bind group's uniform buffer. */
  readonly uniformOffset: number;
  readonly grid: readonly [number, number, number];
  /** Sum of the bound storage ranges, for the trace. */
  readonly boundBytes: number;
}

export class Recorder {
  private encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | undefined;
  private lastPipeline: GPUComputePipeline | undefined;
  private submitted = false;
  /** A plain array: dawn.node's setBindGroup takes it faster than the Uint32Array overload (1.9 vs 2.5 µs). */
  readonly uniformOffsets = [0];
  /** Dispatches recorded into this recorder (the trace of one step). */
  dispatchCount = 0;

  constructor(
    readonly ctx: GpuContext,
    readonly label: string,
  ) {
    ctx.check();
    this.encoder = ctx.device.createCommandEncoder({ label });
  }

  dispatch(d: EncodedDispatch): void {
    this.assertOpen();
    const profiler = this.ctx.profiler;
    if (profiler) {
      // One pass per dispatch, timed by the pass's timestamp writes.
      this.endPass();
      const timestampWrites = profiler.nextPass(d.label);
      this.pass = this.encoder.beginComputePass(timestampWrites ? { label: d.label, timestampWrites } : { label: d.label });
      this.lastPipeline = undefined;
    } else if (!this.pass) {
      this.pass = this.encoder.beginComputePass({ label: this.label });
      this.lastPipeline = undefined;
    }
    if (d.pipeline !== this.lastPipeline) {
      this.pass.setPipeline(d.pipeline);
      this.lastPipeline = d.pipeline;
    }
    this.uniformOffsets[0] = d.uniformOffset;
    this.pass.setBindGroup(0, d.bindGroup, this.uniformOffsets);
    this.pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    this.dispatchCount += 1;
    this.ctx.stats.dispatches += 1;
    this.ctx.lastLabel = d.site;
    if (debugLevel() >= 1) debugLog(1, `dispatch ${d.label} grid [${d.grid.join(', ')}] bound ${d.boundBytes} B`);
  }

  /** copyBufferToBuffer; counted in ctx.stats.bytesCopied. */
  copy(source: BufferSlice, destination: BufferSlice): void {
    this.assertOpen();
    if (source.size !== destination.size) {
      throw new Error(
        `copy of ${source.size} bytes from '${source.buffer.label}' into ${destination.size} bytes of '${destination.buffer.label}'`,
      );
    }
    this.endPass();
    this.encoder.copyBufferToBuffer(source.buffer, source.offset, destination.buffer, destination.offset, source.size);
    this.ctx.stats.bytesCopied += source.size;
    debugLog(2, () => `copy ${source.buffer.label}+${source.offset} -> ${destination.buffer.label}+${destination.offset} ${source.size} B`);
  }

  /** Fills a range with zero bytes on the GPU (not counted as a write: no data crosses from the CPU). */
  clear(slice: BufferSlice): void {
    this.assertOpen();
    this.endPass();
    this.encoder.clearBuffer(slice.buffer, slice.offset, slice.size);
  }

  /** For copies into staging buffers that the readback code owns. */
  get commandEncoder(): GPUCommandEncoder {
    this.assertOpen();
    this.endPass();
    return this.encoder;
  }

  submit(): void {
    this.assertOpen();
    this.endPass();
    this.submitted = true;
    const readTimes = this.ctx.profiler?.resolve(this.encoder);
    this.ctx.submit([this.encoder.finish({ label: this.label })], this.label);
    readTimes?.();
  }

  get isSubmitted(): boolean {
    return this.submitted;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
  }

  private assertOpen(): void {
    if (this.submitted) throw new Error(`recorder '${this.label}' was already submitted; start a new one`);
  }
}
