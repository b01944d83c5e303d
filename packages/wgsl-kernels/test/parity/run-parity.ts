/**
 * Runs the parity cases on one GpuContext and returns plain data (arrays of numbers, strings), so the browser page
 * can hand its results to the Node test through Playwright unchanged. Browser-safe: no Node built-ins here.
 */
import type { GpuContext } from '../../src/device/context.js';
import { readSlice } from '../../src/kernel/readback.js';
import { alignUp, type BufferSlice } from '../../src/kernel/slice.js';
import { runOnGpu } from '../../src/testing/gpu-harness.js';
import { caseRng, hashInputs, type InputArray, type OutputSpec, outputType, type ParityCase } from './parity-case.js';

export interface ParityOutput {
  readonly type: 'f32' | 'u32' | 'i32';
  readonly values: number[];
}

export interface ParityResult {
  readonly name: string;
  readonly family: string;
  readonly inputsHash: string;
  readonly outputs: Record<string, ParityOutput>;
  /** Wall time of upload + record + submit + readback, for the report only. */
  readonly ms: number;
  /** Set when the case threw (validation, GPU error); outputs are then empty. */
  readonly error?: string;
}

export interface ParityReport {
  /** GpuContext.describe(): adapter, runtime and the limits that matter. */
  readonly adapter: string;
  readonly storageAlignment: number;
  readonly results: ParityResult[];
}

export async function runParitySuite(
  ctx: GpuContext,
  cases: readonly ParityCase[],
  onCase?: (result: ParityResult, index: number) => void,
): Promise<ParityReport> {
  const results: ParityResult[] = [];
  for (const [i, c] of cases.entries()) {
    const result = await runCase(ctx, c);
    results.push(result);
    onCase?.(result, i);
  }
  return { adapter: ctx.describe(), storageAlignment: ctx.storageAlignment, results };
}

async function runCase(ctx: GpuContext, c: ParityCase): Promise<ParityResult> {
  const started = performance.now();
  const inputs = c.inputs(caseRng(c));
  const inputsHash = hashInputs(inputs);
  const owned: GPUBuffer[] = [];
  try {
    const specs = c.outputs(inputs);
    const contents: Record<string, InputArray> = { ...inputs };
    for (const [name, spec] of Object.entries(specs)) contents[name] = initialContents(spec);
    const slices = c.arena ? placeInArena(ctx, c.name, contents, owned) : placeSeparately(ctx, c.name, contents, owned);
    await runOnGpu(ctx, (rec) => c.record(rec, slices), `parity ${c.name}`);
    const outputs: Record<string, ParityOutput> = {};
    for (const [name, spec] of Object.entries(specs)) {
      const type = outputType(spec);
      const bytes = await readSlice(ctx, slices[name] as BufferSlice);
      const view = type === 'f32' ? new Float32Array(bytes) : type === 'i32' ? new Int32Array(bytes) : new Uint32Array(bytes);
      outputs[name] = { type, values: Array.from(view) };
    }
    return { name: c.name, family: c.family, inputsHash, outputs, ms: performance.now() - started };
  } catch (error) {
    const message = error instanceof Error ? `${error.message}` : String(error);
    return { name: c.name, family: c.family, inputsHash, outputs: {}, ms: performance.now() - started, error: message };
  } finally {
    for (const b of owned) ctx.destroyBuffer(b);
  }
}

/** Poison (NaN, or all bits set for integers) or the caller's initial contents. */
function initialContents(spec: OutputSpec): InputArray {
  if ('initial' in spec) return spec.initial.slice();
  const n = Math.max(1, spec.count);
  const type = outputType(spec);
  if (type === 'f32') return new Float32Array(n).fill(Number.NaN);
  return type === 'i32' ? new Int32Array(n).fill(-1) : new Uint32Array(n).fill(0xffffffff);
}

function placeSeparately(ctx: GpuContext, label: string, contents: Record<string, InputArray>, owned: GPUBuffer[]) {
  const slices: Record<string, BufferSlice> = {};
  for (const [name, data] of Object.entries(contents)) {
    const buffer = ctx.createStorageBuffer(`${label}:${name}`, data);
    owned.push(buffer);
    slices[name] = { buffer, offset: 0, size: data.byteLength };
  }
  return slices;
}

/** Every operand in one buffer, each at the next offset the device allows (minStorageBufferOffsetAlignment). */
function placeInArena(ctx: GpuContext, label: string, contents: Record<string, InputArray>, owned: GPUBuffer[]) {
  const align = ctx.storageAlignment;
  const offsets: Record<string, number> = {};
  let end = 0;
  for (const [name, data] of Object.entries(contents)) {
    offsets[name] = alignUp(end, align);
    end = (offsets[name] as number) + data.byteLength;
  }
  const buffer = ctx.createStorageBuffer(`${label}:arena`, end);
  owned.push(buffer);
  const slices: Record<string, BufferSlice> = {};
  for (const [name, data] of Object.entries(contents)) {
    const offset = offsets[name] as number;
    ctx.writeBuffer(buffer, offset, data);
    slices[name] = { buffer, offset, size: data.byteLength };
  }
  return slices;
}
