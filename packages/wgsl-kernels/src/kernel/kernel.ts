/**
 * defineKernel: one WGSL program with its declared interface (gpu.cpp's explicit bindings, tfjs's program objects).
 *
 *   const relu = defineKernel({
 *     name: 'relu',
 *     bindings: { x: read(), y: readWrite() },   // binding order = declaration order
 *     uniforms: { n: 'u32' },                    // shapes travel as uniforms, never in the pipeline key
 *     workgroupSize: [64, 1, 1],
 *     wgsl: () => `@compute @workgroup_size(WG_X) fn main(...) { ... }`,
 *   });
 *   relu.dispatch(recorder, { bind: { x, y }, uniforms: { n }, grid: grid1d(ctx, n, 64) });
 *
 * The binding and uniform declarations are generated from that interface, so WGSL and TypeScript cannot drift.
 * Pipelines are cached per device by name and config (tile sizes, variants), never by shape.
 *
 * Read bindings are `var<storage, read>` unless a dispatch also writes their GPUBuffer (tensors share arena
 * buffers): WebGPU forbids read-only and writable storage usage of one buffer in a dispatch, so those bindings are
 * compiled read_write for that dispatch (a pipeline variant keyed by which bindings were promoted). Writable ranges
 * of one buffer must not overlap, which the checks below report by name.
 */
import type { GpuContext } from '../device/context.js';
import type { EncodedDispatch, Recorder } from './recorder.js';
import { type BufferSlice, bufferFacts, bufferId } from './slice.js';
import { type UniformDecls, UniformPool, type UniformType, uniformStructWgsl } from './uniforms.js';

export type ElementType = 'f32' | 'u32' | 'i32' | 'vec2<f32>' | 'vec4<f32>' | 'atomic<u32>' | 'atomic<i32>';

export interface BindingDecl {
  readonly access: 'read' | 'read_write';
  readonly type: ElementType;
}

/** A storage binding the kernel only reads. */
export const read = (type: ElementType = 'f32'): BindingDecl => ({ access: 'read', type });
/** A storage binding the kernel writes (and may read). */
export const readWrite = (type: ElementType = 'f32'): BindingDecl => ({ access: 'read_write', type });

export type BindingDecls = Readonly<Record<string, BindingDecl>>;
export type Grid = readonly [number, number?, number?];
export type WorkgroupSize = readonly [number, number, number];

export interface KernelSpec<B extends BindingDecls, U extends UniformDecls, C> {
  readonly name: string;
  readonly bindings: B;
  readonly uniforms: U;
  /** Exposed to the WGSL as the constants WG_X, WG_Y, WG_Z. */
  readonly workgroupSize: WorkgroupSize | ((config: C) => WorkgroupSize);
  /** Bytes of `var<workgroup>` memory the config uses; checked against the device limit. */
  readonly workgroupMemoryBytes?: (config: C) => number;
  /** The kernel body: helpers and an entry point named `main`. Declarations are prepended. */
  readonly wgsl: (config: C) => string;
}

export interface DispatchArgs<B extends BindingDecls, U extends UniformDecls, C> {
  readonly bind: { readonly [K in keyof B]: BufferSlice };
  readonly uniforms: { readonly [K in keyof U]: number };
  readonly grid: Grid;
  readonly config?: C;
}

interface CompiledVariant {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly layoutId: number;
}

/**
 * Bind groups are cached by exact binding ranges, and a long search can see many: every (weight slot, position)
 * pair of a shared-weight network is one. The cache keeps at most this many and drops the oldest first. On CPU
 * adapters the cap is low: lavapipe maps memory for every live bind group and crashes near 65 530 maps.
 */
const BIND_GROUP_CACHE_LIMIT = { gpu: 200_000, software: 16_000 } as const;

/** Per-device state of all kernels: pipelines, uniform records and bind groups. */
class KernelRuntime {
  readonly pipelines = new Map<string, CompiledVariant>();
  /** Insertion-ordered, so the first entries are the oldest (evicted first). */
  readonly bindGroups = new Map<string, { group: GPUBindGroup; buffers: number[] }>();
  /** Bind-group keys by the buffers they bind, so a destroyed buffer's bind groups can be dropped. */
  private readonly keysByBuffer = new Map<number, Set<string>>();
  limit: number;
  readonly uniforms: UniformPool;
  unused: BufferSlice | undefined;
  unusedWritable: BufferSlice | undefined;
  nextLayoutId = 1;
  /** Bind groups created and evicted so far (steady state: neither grows). */
  created = 0;
  evicted = 0;

  constructor(readonly ctx: GpuContext) {
    this.uniforms = new UniformPool(ctx);
    this.limit = ctx.adapter.isFallbackOrSoftware ? BIND_GROUP_CACHE_LIMIT.software : BIND_GROUP_CACHE_LIMIT.gpu;
    ctx.onBufferDestroyed((buffer) => {
      const id = bufferId(buffer);
      for (const key of this.keysByBuffer.get(id) ?? []) this.forget(key);
      this.keysByBuffer.delete(id);
    });
  }

  getBindGroup(key: string): GPUBindGroup | undefined {
    return this.bindGroups.get(key)?.group;
  }

  addBindGroup(key: string, group: GPUBindGroup, buffers: readonly GPUBuffer[]): void {
    if (this.bindGroups.size >= this.limit) {
      // Drop the oldest tenth in one go, so eviction is rare and its cost amortised.
      let n = Math.ceil(this.limit / 10);
      for (const oldest of this.bindGroups.keys()) {
        if (n-- <= 0) break;
        this.forget(oldest);
        this.evicted += 1;
      }
    }
    const ids = buffers.map(bufferId);
    this.bindGroups.set(key, { group, buffers: ids });
    this.created += 1;
    for (const id of ids) {
      const keys = this.keysByBuffer.get(id);
      if (keys) keys.add(key);
      else this.keysByBuffer.set(id, new Set([key]));
    }
  }

  private forget(key: string): void {
    const entry = this.bindGroups.get(key);
    if (!entry) return;
    this.bindGroups.delete(key);
    for (const id of entry.buffers) this.keysByBuffer.get(id)?.delete(key);
  }
}

const NONE: ReadonlySet<string> = new Set();

const runtimes = new WeakMap<GpuContext, KernelRuntime>();
function runtimeOf(ctx: GpuContext): KernelRuntime {
  let rt = runtimes.get(ctx);
  if (!rt) {
    rt = new KernelRuntime(ctx);
    runtimes.set(ctx, rt);
  }
  return rt;
}

/**
 * A 16-byte storage range for a binding a variant does not use (e.g. matmul's bias when there is none): every
 * declared binding must be bound, and binding an operand twice could overlap a writable range.
 */
export function unusedBinding(ctx: GpuContext): BufferSlice {
  const rt = runtimeOf(ctx);
  rt.unused ??= { buffer: ctx.createBuffer('unused-binding', 16, GPUBufferUsage.STORAGE), offset: 0, size: 16 };
  return rt.unused;
}

/**
 * A 16-byte range for an optional OUTPUT a variant does not write, in a buffer of its own: were it the same range
 * as `unusedBinding`, a dispatch leaving out both an optional input and an optional output would bind one range
 * as both, which the overlap check (rightly) rejects for writable bindings.
 */
export function unusedWritableBinding(ctx: GpuContext): BufferSlice {
  const rt = runtimeOf(ctx);
  rt.unusedWritable ??= { buffer: ctx.createBuffer('unused-writable-binding', 16, GPUBufferUsage.STORAGE), offset: 0, size: 16 };
  return rt.unusedWritable;
}

/** Overrides the bind-group cache size of a device (tuning, and tests of eviction). */
export function setBindGroupCacheLimit(ctx: GpuContext, limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`bind group cache limit must be a positive integer, got ${limit}`);
  runtimeOf(ctx).limit = limit;
}

/** Counts of what the kernel layer has created on a device (tests check that steady state creates nothing). */
export function kernelCacheStats(ctx: GpuContext): {
  pipelines: number;
  bindGroups: number;
  bindGroupsCreated: number;
  bindGroupsEvicted: number;
  uniformRecords: number;
} {
  const rt = runtimeOf(ctx);
  return {
    pipelines: rt.pipelines.size,
    bindGroups: rt.bindGroups.size,
    bindGroupsCreated: rt.created,
    bindGroupsEvicted: rt.evicted,
    uniformRecords: rt.uniforms.recordCount,
  };
}

export class Kernel<B extends BindingDecls, U extends UniformDecls, C = undefined> {
  private readonly bindingNames: string[];
  private readonly readNames: string[];
  private readonly writeNames: string[];
  /** "kernel 'name'", made once: the device's error messages name the last dispatch with it. */
  private readonly site: string;

  constructor(readonly spec: KernelSpec<B, U, C>) {
    this.site = `kernel '${spec.name}'`;
    this.bindingNames = Object.keys(spec.bindings);
    this.readNames = this.bindingNames.filter((n) => spec.bindings[n]?.access === 'read');
    this.writeNames = this.bindingNames.filter((n) => spec.bindings[n]?.access === 'read_write');
  }

  get name(): string {
    return this.spec.name;
  }

  /** Records one dispatch into `rec`. */
  dispatch(rec: Recorder, args: DispatchArgs<B, U, C>): void {
    rec.dispatch(this.prepare(rec.ctx, args));
  }

  /**
   * Resolves everything a dispatch needs (pipeline, uniform record, bind group) without recording it. Hot loops
   * prepare once and record the result every step: encoding then costs three calls and allocates nothing.
   */
  prepare(ctx: GpuContext, args: DispatchArgs<B, U, C>): EncodedDispatch {
    const config = args.config as C;
    const grid = this.checkGrid(ctx, args.grid);
    const promoted = this.promotedReads(args.bind);
    const variant = this.compile(ctx, config, promoted);
    const rt = runtimeOf(ctx);
    const record = rt.uniforms.record(this.spec.name, this.spec.uniforms, args.uniforms);

    let key = `${variant.layoutId}|${record.blockId}`;
    let boundBytes = 0;
    for (const name of this.bindingNames) {
      const slice = args.bind[name];
      if (!slice) throw new Error(`kernel '${this.spec.name}': binding '${name}' is missing`);
      const buffer = bufferFacts(slice.buffer);
      this.checkSlice(ctx, name, slice, buffer.size);
      boundBytes += slice.size;
      key += `|${buffer.id}:${slice.offset}:${slice.size}`;
    }
    let bindGroup = rt.getBindGroup(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: record.block, offset: 0, size: UniformPool.maxRecordBytes } },
      ];
      this.bindingNames.forEach((name, i) => {
        const s = args.bind[name] as BufferSlice;
        entries.push({ binding: i + 1, resource: { buffer: s.buffer, offset: s.offset, size: s.size } });
      });
      bindGroup = ctx.device.createBindGroup({ label: this.spec.name, layout: variant.layout, entries });
      rt.addBindGroup(
        key,
        bindGroup,
        this.bindingNames.map((n) => (args.bind[n] as BufferSlice).buffer),
      );
    }
    return {
      label: this.spec.name,
      site: this.site,
      pipeline: variant.pipeline,
      bindGroup,
      uniformOffset: record.offset,
      grid,
      boundBytes,
    };
  }

  /** The full WGSL of a config, as compiled (for tests, debugging and documentation). */
  source(config: C, promoted: ReadonlySet<string> = NONE): string {
    const decls = [
      `// kernel '${this.spec.name}'${config === undefined ? '' : ` config ${JSON.stringify(config)}`}`,
      uniformStructWgsl(this.spec.uniforms),
      '@group(0) @binding(0) var<uniform> u: Uniforms;',
    ];
    this.bindingNames.forEach((name, i) => {
      const b = this.spec.bindings[name] as BindingDecl;
      const access = this.isReadOnly(name, b, promoted) ? 'read' : 'read_write';
      decls.push(`@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: array<${b.type}>;`);
    });
    const [x, y, z] = this.workgroupSize(config);
    decls.push(`const WG_X: u32 = ${x}u;`, `const WG_Y: u32 = ${y}u;`, `const WG_Z: u32 = ${z}u;`);
    return `${decls.join('\n')}\n\n${this.spec.wgsl(config)}`;
  }

  workgroupSize(config: C): WorkgroupSize {
    const ws = this.spec.workgroupSize;
    return typeof ws === 'function' ? ws(config) : ws;
  }

  private isReadOnly(name: string, b: BindingDecl, promoted: ReadonlySet<string>): boolean {
    return b.access === 'read' && !promoted.has(name) && !b.type.startsWith('atomic');
  }

  private compile(ctx: GpuContext, config: C, promoted: ReadonlySet<string>): CompiledVariant {
    const rt = runtimeOf(ctx);
    const promotedKey = promoted === NONE ? '' : [...promoted].join(',');
    const key = `${this.spec.name}|${promotedKey}|${config === undefined ? '' : JSON.stringify(config)}`;
    const cached = rt.pipelines.get(key);
    if (cached) return cached;

    this.checkWorkgroup(ctx, config);
    const label = `${this.spec.name}${config === undefined ? '' : JSON.stringify(config)}`;
    const entries: GPUBindGroupLayoutEntry[] = [
      {
        binding: 0,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: UniformPool.maxRecordBytes },
      },
    ];
    this.bindingNames.forEach((name, i) => {
      const b = this.spec.bindings[name] as BindingDecl;
      const readOnly = this.isReadOnly(name, b, promoted);
      entries.push({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: readOnly ? 'read-only-storage' : 'storage' },
      });
    });
    const device = ctx.device;
    const layout = device.createBindGroupLayout({ label, entries });
    ctx.lastLabel = `kernel '${label}' (compiling)`;
    const module = device.createShaderModule({ label, code: this.source(config, promoted) });
    const pipeline = device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    // Dawn reports WGSL and layout errors through the uncaptured-error handler as soon as it can; surface them
    // here, at the kernel that caused them, when they already arrived.
    ctx.check();
    const variant = { pipeline, layout, layoutId: rt.nextLayoutId++ };
    rt.pipelines.set(key, variant);
    return variant;
  }

  /**
   * The read bindings whose buffer this dispatch also writes: they must be writable storage too. Throws when two
   * ranges of such a buffer overlap, which WebGPU rejects for writable bindings.
   */
  private promotedReads(bind: { readonly [K in keyof B]: BufferSlice }): ReadonlySet<string> {
    let promoted: Set<string> | undefined;
    for (const w of this.writeNames) {
      const ws = bind[w];
      if (!ws) continue;
      for (const r of this.readNames) {
        const rs = bind[r];
        if (!rs || rs.buffer !== ws.buffer) continue;
        promoted ??= new Set();
        promoted.add(r);
      }
    }
    if (!promoted) return NONE;
    const writable = [...this.writeNames, ...promoted];
    for (let i = 0; i < writable.length; i++) {
      for (let j = i + 1; j < writable.length; j++) {
        const a = bind[writable[i] as string] as BufferSlice;
        const b = bind[writable[j] as string] as BufferSlice;
        if (a.buffer === b.buffer && a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
          throw new Error(
            `kernel '${this.spec.name}': bindings '${writable[i]}' and '${writable[j]}' overlap in buffer '${a.buffer.label}', which this ` +
              'dispatch also writes; WebGPU forbids overlapping writable bindings: give one operand its own storage (copy it first)',
          );
        }
      }
    }
    return promoted;
  }

  private checkSlice(ctx: GpuContext, name: string, slice: BufferSlice, bufferSize: number): void {
    // Runs for every binding of every dispatch: no allocation unless it throws.
    const limits = ctx.limits;
    if (slice.size <= 0) throw new Error(`${this.bindingSite(name, slice)}: empty range; nothing to bind`);
    if (slice.offset % limits.minStorageBufferOffsetAlignment !== 0) {
      throw new Error(
        `${this.bindingSite(name, slice)}: offset ${slice.offset} is not a multiple of minStorageBufferOffsetAlignment ${limits.minStorageBufferOffsetAlignment}`,
      );
    }
    if (slice.size > limits.maxStorageBufferBindingSize) {
      throw new Error(
        `${this.bindingSite(name, slice)}: binds ${slice.size} bytes, over this device's maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}; ` +
          'use a smaller batch or split the tensor',
      );
    }
    if (slice.offset + slice.size > bufferSize) {
      throw new Error(
        `${this.bindingSite(name, slice)}: range [${slice.offset}, ${slice.offset + slice.size}) exceeds the buffer's ${bufferSize} bytes`,
      );
    }
  }

  private bindingSite(name: string, slice: BufferSlice): string {
    return `${this.site}, binding '${name}' (buffer '${slice.buffer.label}')`;
  }

  private checkGrid(ctx: GpuContext, grid: Grid): readonly [number, number, number] {
    const g: [number, number, number] = [grid[0], grid[1] ?? 1, grid[2] ?? 1];
    const max = ctx.limits.maxComputeWorkgroupsPerDimension;
    for (const n of g) {
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`kernel '${this.spec.name}': grid [${g.join(', ')}] is not made of non-negative integers`);
      if (n > max) {
        throw new Error(
          `kernel '${this.spec.name}': grid [${g.join(', ')}] exceeds maxComputeWorkgroupsPerDimension ${max}; the problem is too large for one dispatch on this device`,
        );
      }
    }
    return g;
  }

  private checkWorkgroup(ctx: GpuContext, config: C): void {
    const l = ctx.limits;
    const [x, y, z] = this.workgroupSize(config);
    const invocations = x * y * z;
    if (
      invocations > l.maxComputeInvocationsPerWorkgroup ||
      x > l.maxComputeWorkgroupSizeX ||
      y > l.maxComputeWorkgroupSizeY ||
      z > l.maxComputeWorkgroupSizeZ
    ) {
      throw new Error(
        `kernel '${this.spec.name}': workgroup ${x}x${y}x${z} exceeds this device's limits ` +
          `(maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}); choose a smaller tile config`,
      );
    }
    const bytes = this.spec.workgroupMemoryBytes?.(config) ?? 0;
    if (bytes > l.maxComputeWorkgroupStorageSize) {
      throw new Error(
        `kernel '${this.spec.name}': needs ${bytes} bytes of workgroup memory, over maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}; choose a smaller tile config`,
      );
    }
  }
}

export function defineKernel<B extends BindingDecls, U extends UniformDecls, C = undefined>(spec: KernelSpec<B, U, C>): Kernel<B, U, C> {
  return new Kernel(spec);
}

export type { UniformType };
