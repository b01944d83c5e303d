/**
 * GpuContext: the one object every kernel, tensor and training loop is given. It owns the GPUDevice (requested
 * with the adapter's own limits, not WebGPU's small defaults), turns uncaptured errors and device loss into thrown
 * errors, and counts what crosses into and between GPU buffers so tests can prove what a step writes.
 */
import { debugLog } from './debug.js';
import { type GpuEntry, getGpu, NoAdapterError } from './gpu.js';
import { Profiler } from './profiler.js';

export interface GpuContextOptions {
  powerPreference?: GPUPowerPreference;
  /** Features to enable when the adapter has them; missing ones are skipped silently. */
  optionalFeatures?: GPUFeatureName[];
  /** Options passed to Dawn's `create()` in Node, e.g. `['backend=vulkan']`. Ignored in a browser. */
  dawnOptions?: string[];
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  runtime: 'browser' | 'dawn';
  isFallbackOrSoftware: boolean;
}

/** Counters of everything that moves bytes to or between GPU buffers, and of allocations. Monotonic. */
export interface GpuStats {
  /** Bytes passed to queue.writeBuffer, plus buffers created with data mapped at creation. */
  bytesWritten: number;
  /** Bytes copied by copyBufferToBuffer. */
  bytesCopied: number;
  /** Bytes copied from GPU to CPU by readbacks. */
  bytesRead: number;
  /** Bytes of GPU buffers currently alive (created through this context and not destroyed). */
  bytesAllocated: number;
  buffersAllocated: number;
  submits: number;
  dispatches: number;
}

const DEFAULT_FEATURES: GPUFeatureName[] = ['timestamp-query'];

export class GpuContext {
  readonly stats: GpuStats = {
    bytesWritten: 0,
    bytesCopied: 0,
    bytesRead: 0,
    bytesAllocated: 0,
    buffersAllocated: 0,
    submits: 0,
    dispatches: 0,
  };
  /** What the last recorded command was, so an asynchronous error can say where it probably came from. */
  lastLabel = '(nothing recorded yet)';
  private failure: Error | undefined;
  /** Per-kernel GPU timing (ENAS_PROFILE=1 or enableProfiling()); undefined when off. */
  profiler: Profiler | undefined;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    private readonly gpu: GPU,
  ) {
    device.onuncapturederror = (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.fail(`${error.constructor?.name ?? 'GPUError'} near ${this.lastLabel}: ${error.message}`);
    };
    if (Profiler.wanted()) this.profiler = new Profiler(this);
    void device.lost.then((info) => {
      if (!this.destroyed) this.fail(`WebGPU device lost (${info.reason}) near ${this.lastLabel}: ${info.message}`);
    });
  }

  static async create(options: GpuContextOptions = {}): Promise<GpuContext> {
    const entry: GpuEntry = await getGpu(options.dawnOptions);
    let adapter: GPUAdapter | null;
    try {
      adapter = await entry.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    } catch (error) {
      throw new NoAdapterError(`${entry.runtime}: requestAdapter() failed: ${(error as Error).message}`);
    }
    if (!adapter) throw new NoAdapterError(`${entry.runtime}: requestAdapter() returned null`);
    const requiredLimits: Record<string, number> = {};
    // Copy every numeric limit the adapter reports: the defaults (e.g. 128 MiB bindings, 16 KiB workgroup memory,
    // 256-byte offset alignment) would leave most of a real GPU unused.
    for (const key in adapter.limits) {
      const value = (adapter.limits as unknown as Record<string, unknown>)[key];
      // Dynamic-offset counts are the exception: the engine uses one dynamic uniform buffer per pipeline, and
      // Dawn warns on every device when asked for the adapter's (unbounded) figure.
      if (typeof value === 'number' && !key.startsWith('maxDynamic')) requiredLimits[key] = value;
    }
    const wanted = options.optionalFeatures ?? DEFAULT_FEATURES;
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'enas-webgpu' });
    const info = adapter.info;
    const summary: AdapterSummary = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      runtime: entry.runtime,
      isFallbackOrSoftware:
        (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
        /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.architecture} ${info.description} ${info.device}`),
    };
    return new GpuContext(device, summary, entry.gpu);
  }

  private limitsSnapshot: GPUSupportedLimits | undefined;

  /**
   * The device's limits as a plain object, copied once: they never change, and in dawn.node every property read
   * of GPUSupportedLimits is a call into C++, which the kernel layer would otherwise make on every dispatch.
   */
  get limits(): GPUSupportedLimits {
    if (!this.limitsSnapshot) {
      const copy: Record<string, unknown> = {};
      for (const key in this.device.limits) copy[key] = (this.device.limits as unknown as Record<string, unknown>)[key];
      this.limitsSnapshot = Object.freeze(copy) as unknown as GPUSupportedLimits;
    }
    return this.limitsSnapshot;
  }

  /** Offsets of storage bindings must be multiples of this (16 on lavapipe and NVIDIA, 256 by default). */
  get storageAlignment(): number {
    return this.limits.minStorageBufferOffsetAlignment;
  }

  describe(): string {
    const a = this.adapter;
    const l = this.limits;
    return (
      `${a.vendor || 'unknown vendor'} ${a.architecture} ${a.device} (${a.description}) via ${a.runtime}; ` +
      `maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, ` +
      `maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}, ` +
      `maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}, ` +
      `minStorageBufferOffsetAlignment ${l.minStorageBufferOffsetAlignment}`
    ).replace(/\s+/g, ' ');
  }

  createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    this.check();
    const max = this.limits.maxBufferSize;
    if (size > max) {
      throw new Error(`buffer '${label}' needs ${size} bytes, over this device's maxBufferSize ${max}: use smaller shapes or batches`);
    }
    // Zero-sized buffers are legal but cannot be bound; round up so every buffer can be.
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.device.createBuffer({ label, size: bytes, usage });
    this.stats.bytesAllocated += bytes;
    this.stats.buffersAllocated += 1;
    debugLog(2, () => `alloc ${label} ${bytes} B (live ${this.stats.bytesAllocated} B)`);
    return buffer;
  }

  /**
   * Destroys a buffer made by createBuffer. Work already submitted that uses it still completes (WebGPU keeps the
   * memory until then); caches keyed by the buffer (bind groups) are told to drop their entries.
   */
  destroyBuffer(buffer: GPUBuffer): void {
    this.stats.bytesAllocated -= buffer.size;
    this.stats.buffersAllocated -= 1;
    for (const listener of this.destroyListeners) listener(buffer);
    buffer.destroy();
  }

  private readonly destroyListeners: ((buffer: GPUBuffer) => void)[] = [];

  /** Called for every buffer passed to destroyBuffer (the kernel layer evicts bind groups that use it). */
  onBufferDestroyed(listener: (buffer: GPUBuffer) => void): void {
    this.destroyListeners.push(listener);
  }

  /** A storage buffer (copyable both ways) initialised from `data`. */
  createStorageBuffer(label: string, data: ArrayBufferView | number, extraUsage: GPUBufferUsageFlags = 0): GPUBuffer {
    const size = typeof data === 'number' ? data : data.byteLength;
    const buffer = this.createBuffer(label, size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage);
    if (typeof data !== 'number') this.writeBuffer(buffer, 0, data);
    return buffer;
  }

  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
    this.check();
    this.stats.bytesWritten += data.byteLength;
    debugLog(2, () => `write ${buffer.label}+${offset} ${data.byteLength} B`);
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Submits command buffers; every submit of the engine goes through here so it can be counted and traced. */
  submit(commandBuffers: GPUCommandBuffer[], label: string): void {
    this.check();
    this.stats.submits += 1;
    this.lastLabel = `submit '${label}'`;
    debugLog(1, () => `submit ${label}`);
    this.device.queue.submit(commandBuffers);
  }

  /** Waits for all submitted work, then throws if anything failed on the GPU meanwhile. */
  async sync(): Promise<void> {
    this.check();
    await this.device.queue.onSubmittedWorkDone();
    // Dawn delivers uncaptured errors from its event loop; give it one turn after the queue drains.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.check();
  }

  /** Turns per-kernel GPU timing on (needs the timestamp-query feature); see Profiler. */
  enableProfiling(): Profiler {
    this.profiler ??= new Profiler(this);
    return this.profiler;
  }

  /** Throws the first GPU error recorded since the device was created. */
  check(): void {
    if (this.failure) throw this.failure;
    if (this.destroyed) throw new Error('this GpuContext was destroyed; create a new one');
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  private fail(message: string): void {
    debugLog(1, `GPU error: ${message}`);
    if (!this.failure) this.failure = new Error(message);
  }

  /** Releases the device so that the process can exit (Node exits once every device is destroyed). Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.device.destroy();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The `GPU` this context's adapter came from. */
  get gpuObject(): GPU {
    return this.gpu;
  }
}

export const createGpuContext = (options?: GpuContextOptions): Promise<GpuContext> => GpuContext.create(options);
