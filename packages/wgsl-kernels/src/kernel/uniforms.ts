/**
 * Uniform records, content-addressed. A kernel's shapes and scalars travel as a small uniform struct; identical
 * values map to one record that is written once and then reused by every dispatch that needs it. A training step
 * whose shapes repeat therefore writes no uniform bytes after its first run, and switching between precomputed
 * records costs only a dynamic offset at setBindGroup.
 */
import type { GpuContext } from '../device/context.js';
import { debugLog } from '../device/debug.js';
import { alignUp } from './slice.js';

export type UniformType = 'u32' | 'i32' | 'f32';
export type UniformDecls = Readonly<Record<string, UniformType>>;

export interface UniformRecord {
  readonly block: GPUBuffer;
  readonly blockId: number;
  readonly offset: number;
}

const BLOCK_BYTES = 1 << 20;

/** Uniform names in declaration order, per declaration object (kernels declare theirs once). */
const namesOf = new WeakMap<UniformDecls, readonly string[]>();
function uniformNames(decls: UniformDecls): readonly string[] {
  let names = namesOf.get(decls);
  if (!names) {
    names = Object.keys(decls);
    namesOf.set(decls, names);
  }
  return names;
}

export class UniformPool {
  private readonly records = new Map<string, UniformRecord>();
  private blocks: GPUBuffer[] = [];
  private used = BLOCK_BYTES; // forces a first block
  private readonly stride: number;
  private readonly scratch = new ArrayBuffer(256);
  private readonly u32 = new Uint32Array(this.scratch);
  private readonly i32 = new Int32Array(this.scratch);
  private readonly f32 = new Float32Array(this.scratch);

  /** All records have the same binding size (maxRecordBytes) so one bind group serves every record of a block. */
  static readonly maxRecordBytes = 256;

  constructor(private readonly ctx: GpuContext) {
    this.stride = alignUp(UniformPool.maxRecordBytes, ctx.limits.minUniformBufferOffsetAlignment);
  }

  get recordCount(): number {
    return this.records.size;
  }

  /** Returns the record holding `values` in declaration order, creating and uploading it on first use. */
  record(kernelName: string, decls: UniformDecls, values: Readonly<Record<string, number>>): UniformRecord {
    const names = uniformNames(decls);
    if (names.length * 4 > UniformPool.maxRecordBytes) {
      throw new Error(`kernel '${kernelName}' declares ${names.length} uniforms; at most ${UniformPool.maxRecordBytes / 4} fit a record`);
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const value = values[name];
      if (value === undefined || Number.isNaN(value)) {
        throw new Error(`kernel '${kernelName}': uniform '${name}' is ${value}; pass a number`);
      }
      const type = decls[name];
      if (type === 'f32') this.f32[i] = value;
      else if (type === 'i32') this.i32[i] = checkedInt(kernelName, name, value, -(2 ** 31), 2 ** 31 - 1);
      else this.u32[i] = checkedInt(kernelName, name, value, 0, 2 ** 32 - 1);
    }
    const words = Math.max(1, names.length);
    let key = '';
    for (let i = 0; i < words; i++) key += `${this.u32[i]},`;
    const existing = this.records.get(key);
    if (existing) return existing;

    if (this.used + this.stride > BLOCK_BYTES) {
      this.blocks.push(
        this.ctx.createBuffer(`uniforms#${this.blocks.length}`, BLOCK_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      );
      this.used = 0;
    }
    const block = this.blocks[this.blocks.length - 1] as GPUBuffer;
    const record: UniformRecord = { block, blockId: this.blocks.length - 1, offset: this.used };
    debugLog(2, () => `uniform record #${this.records.size} for '${kernelName}': ${JSON.stringify(values)}`);
    this.ctx.writeBuffer(block, record.offset, new Uint32Array(this.scratch, 0, alignUp(words, 4)));
    this.used += this.stride;
    this.records.set(key, record);
    return record;
  }
}

function checkedInt(kernel: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`kernel '${kernel}': uniform '${name}' = ${value} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

/** The WGSL struct for a uniform declaration list (scalars only, so no padding rules apply but the tail). */
export function uniformStructWgsl(decls: UniformDecls): string {
  const fields = Object.entries(decls).map(([name, type]) => `  ${name}: ${type},`);
  if (fields.length === 0) fields.push('  _unused: u32,');
  return `struct Uniforms {\n${fields.join('\n')}\n}`;
}
