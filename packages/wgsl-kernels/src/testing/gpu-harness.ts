/**
 * Helpers for kernel tests: buffers from arrays, NaN-poisoned outputs, one-shot record/submit/read.
 * Deliberately free of any test-runner import so every package's tests (and benchmarks) can use it.
 */
import { createGpuContext, type GpuContext } from '../device/context.js';
import { readF32, readSlice } from '../kernel/readback.js';
import { Recorder } from '../kernel/recorder.js';
import { type BufferSlice, wholeBuffer } from '../kernel/slice.js';

let announced = false;

/** Creates a context and logs the adapter once per process, so test logs say what they ran on. */
export async function testContext(): Promise<GpuContext> {
  const ctx = await createGpuContext();
  if (!announced) {
    announced = true;
    console.log(`[webgpu] tests run on: ${ctx.describe()}`);
  }
  return ctx;
}

let uploads = 0;

export function upload(ctx: GpuContext, data: ArrayLike<number> | Float32Array | Uint32Array | Int32Array, label?: string): BufferSlice {
  const view = ArrayBuffer.isView(data) ? (data as Float32Array) : Float32Array.from(data as ArrayLike<number>);
  const buffer = ctx.createStorageBuffer(label ?? `upload#${uploads++}`, Math.max(4, view.byteLength));
  if (view.byteLength > 0) ctx.writeBuffer(buffer, 0, view);
  return { buffer, offset: 0, size: Math.max(4, view.byteLength) };
}

export function uploadU32(ctx: GpuContext, data: ArrayLike<number>, label?: string): BufferSlice {
  return upload(ctx, Uint32Array.from(data), label);
}

/** An output buffer of `count` f32 filled with NaN, so any element a kernel fails to write is caught. */
export function poisoned(ctx: GpuContext, count: number, label?: string): BufferSlice {
  return upload(ctx, new Float32Array(Math.max(1, count)).fill(Number.NaN), label ?? `poisoned#${uploads++}`);
}

/** A u32 output buffer filled with 0xFFFFFFFF. */
export function poisonedU32(ctx: GpuContext, count: number, label?: string): BufferSlice {
  return upload(ctx, new Uint32Array(Math.max(1, count)).fill(0xffffffff), label ?? `poisoned-u32#${uploads++}`);
}

export async function download(ctx: GpuContext, slice: BufferSlice, count?: number): Promise<Float32Array> {
  const all = await readF32(ctx, slice);
  return count === undefined ? all : all.subarray(0, count);
}

export async function downloadU32(ctx: GpuContext, slice: BufferSlice, count?: number): Promise<Uint32Array> {
  const all = new Uint32Array(await readSlice(ctx, slice));
  return count === undefined ? all : all.subarray(0, count);
}

/** Records `body` into one recorder, submits, waits, and throws any GPU error. */
export async function runOnGpu(ctx: GpuContext, body: (rec: Recorder) => void, label = 'test'): Promise<void> {
  const rec = new Recorder(ctx, label);
  body(rec);
  rec.submit();
  await ctx.sync();
}

export function asSlice(buffer: GPUBuffer): BufferSlice {
  return wholeBuffer(buffer);
}

export const toF64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
