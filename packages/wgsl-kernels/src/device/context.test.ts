import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineKernel, readWrite } from '../kernel/kernel.js';
import { Recorder } from '../kernel/recorder.js';
import { unary } from '../ops/elementwise/unary.js';
import { poisoned, runOnGpu, testContext, upload } from '../testing/index.js';
import { createGpuContext, type GpuContext } from './context.js';
import { setDebugLevel, setDebugSink } from './debug.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('GpuContext', () => {
  it("requests the adapter's own limits, not WebGPU's defaults", async () => {
    const gpu = ctx.gpuObject;
    const adapter = (await gpu.requestAdapter()) as GPUAdapter;
    expect(ctx.limits.maxComputeWorkgroupStorageSize).toBe(adapter.limits.maxComputeWorkgroupStorageSize);
    expect(ctx.limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
    expect(ctx.limits.minStorageBufferOffsetAlignment).toBe(adapter.limits.minStorageBufferOffsetAlignment);
    expect(ctx.describe()).toContain('maxStorageBufferBindingSize');
  });

  it('counts bytes written, copied and allocated', async () => {
    const before = { ...ctx.stats };
    const a = upload(ctx, new Float32Array(64));
    const b = poisoned(ctx, 64);
    await runOnGpu(ctx, (rec) => rec.copy(a, b));
    expect(ctx.stats.bytesWritten - before.bytesWritten).toBe(2 * 256);
    expect(ctx.stats.bytesCopied - before.bytesCopied).toBe(256);
    expect(ctx.stats.bytesAllocated - before.bytesAllocated).toBe(2 * 256);
    ctx.destroyBuffer(a.buffer);
    ctx.destroyBuffer(b.buffer);
    expect(ctx.stats.bytesAllocated).toBe(before.bytesAllocated);
  });

  it('turns an asynchronous GPU validation error into a thrown error that names the kernel', async () => {
    const own = await createGpuContext();
    const broken = defineKernel({
      name: 'deliberately_broken',
      bindings: { y: readWrite() },
      uniforms: {},
      workgroupSize: [1, 1, 1],
      wgsl: () => '@compute @workgroup_size(1) fn main() { y[0] = undefined_symbol; }',
    });
    const y = poisoned(own, 4);
    // Dawn may report the error while compiling or only later; either way it must surface, naming the kernel.
    const attempt = async () => {
      const rec = new Recorder(own, 'broken');
      broken.dispatch(rec, { bind: { y }, uniforms: {}, grid: [1] });
      rec.submit();
      await own.sync();
    };
    await expect(attempt()).rejects.toThrow(/deliberately_broken.*unresolved value 'undefined_symbol'/s);
    expect(own.failed).toBe(true);
    own.destroy();
  });

  it('refuses to be used after destroy', async () => {
    const own = await createGpuContext();
    own.destroy();
    expect(() => own.check()).toThrow(/destroyed/);
    own.destroy(); // twice is harmless
  });
});

describe('ENAS_DEBUG trace', () => {
  it('prints each dispatch with kernel name, grid and bytes bound, and each submit', async () => {
    const lines: string[] = [];
    const previous = setDebugSink((l) => lines.push(l));
    setDebugLevel(1);
    try {
      // 301 elements: the scalar program (one invocation per element), two workgroups of 256.
      const x = upload(ctx, new Float32Array(301));
      const y = poisoned(ctx, 301);
      await runOnGpu(ctx, (rec) => unary(rec, 'relu', x, y, 301), 'traced-step');
    } finally {
      setDebugLevel(0);
      setDebugSink(previous);
    }
    expect(lines).toContain('dispatch unary_forward grid [2, 1, 1] bound 2408 B');
    expect(lines).toContain('submit traced-step');
  });
});

describe('bind group cache', () => {
  it('reuses bind groups for repeated bindings and evicts the oldest beyond its limit', async () => {
    const own = await createGpuContext();
    const { kernelCacheStats, setBindGroupCacheLimit } = await import('../kernel/kernel.js');
    setBindGroupCacheLimit(own, 20);
    const x = upload(own, new Float32Array(256));
    const y = poisoned(own, 256);
    const run = async (count: number) => {
      const rec = new Recorder(own, 'bind-groups');
      for (let i = 0; i < count; i++) {
        // Distinct ranges make distinct bind groups.
        unary(rec, 'relu', { buffer: x.buffer, offset: 16 * i, size: 16 }, { buffer: y.buffer, offset: 16 * i, size: 16 }, 4);
      }
      rec.submit();
      await own.sync();
    };
    await run(10);
    await run(10);
    expect(kernelCacheStats(own).bindGroupsCreated).toBe(10);
    await run(40);
    const s = kernelCacheStats(own);
    expect(s.bindGroups).toBeLessThanOrEqual(20);
    expect(s.bindGroupsEvicted).toBeGreaterThan(0);
    own.destroy();
  });
});

describe('kernel interface checks', () => {
  it('rejects a misaligned binding offset, naming kernel, binding and the limit', async () => {
    const big = upload(ctx, new Float32Array(64));
    const misaligned = { buffer: big.buffer, offset: 4, size: 16 };
    const rec = new Recorder(ctx, 'misaligned');
    expect(() => unary(rec, 'relu', misaligned, poisoned(ctx, 4), 4)).toThrow(
      /kernel 'unary_forward', binding 'x'.*not a multiple of minStorageBufferOffsetAlignment/,
    );
  });

  it('rejects a grid over maxComputeWorkgroupsPerDimension', () => {
    const k = defineKernel({
      name: 'grid_probe',
      bindings: { y: readWrite() },
      uniforms: {},
      workgroupSize: [1, 1, 1],
      wgsl: () => '@compute @workgroup_size(1) fn main() { y[0] = 1.0; }',
    });
    const rec = new Recorder(ctx, 'grid');
    expect(() =>
      k.dispatch(rec, { bind: { y: poisoned(ctx, 1) }, uniforms: {}, grid: [ctx.limits.maxComputeWorkgroupsPerDimension + 1] }),
    ).toThrow(/grid_probe.*exceeds maxComputeWorkgroupsPerDimension/);
  });

  it('rejects workgroup memory over the device limit, naming the kernel', () => {
    const k = defineKernel({
      name: 'greedy_tile',
      bindings: { y: readWrite() },
      uniforms: {},
      workgroupSize: [1, 1, 1],
      workgroupMemoryBytes: () => ctx.limits.maxComputeWorkgroupStorageSize + 4,
      wgsl: () => '@compute @workgroup_size(1) fn main() { y[0] = 1.0; }',
    });
    const rec = new Recorder(ctx, 'wgmem');
    expect(() => k.dispatch(rec, { bind: { y: poisoned(ctx, 1) }, uniforms: {}, grid: [1] })).toThrow(
      /greedy_tile.*maxComputeWorkgroupStorageSize/,
    );
  });

  it('names the bindings when two ranges of a written buffer overlap', () => {
    const shared = upload(ctx, new Float32Array(8));
    const rec = new Recorder(ctx, 'overlap');
    const x = { buffer: shared.buffer, offset: 0, size: 32 };
    const y = { buffer: shared.buffer, offset: 16, size: 16 };
    expect(() => unary(rec, 'relu', x, y, 4)).toThrow(/unary_forward.*'y' and 'x' overlap/);
  });

  it('falls back to read_write bindings when a dispatch reads and writes one buffer', async () => {
    // x and y are two ranges of the same buffer: legal only if both bindings are writable storage.
    const shared = upload(
      ctx,
      Float32Array.from({ length: 8 }, (_, i) => i - 4),
    );
    const x = { buffer: shared.buffer, offset: 0, size: 16 };
    const y = { buffer: shared.buffer, offset: 16, size: 16 };
    await runOnGpu(ctx, (rec) => unary(rec, 'relu', x, y, 4));
    const { download } = await import('../testing/index.js');
    expect(Array.from(await download(ctx, shared))).toEqual([-4, -3, -2, -1, 0, 0, 0, 0]);
  });
});
