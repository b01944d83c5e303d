/**
 * Split reductions for the weight and bias gradients. Those sum over batch·Hout·Wout (160·32·32 = 163,840 terms
 * per weight in an ENAS child network) into few outputs (Cout·Cin·k·k, or Cout): one workgroup per output tile
 * would leave most of a GPU idle and add 10⁵ terms in one serial f32 sum. The reduction is therefore cut into
 * `splits` contiguous chunks; each chunk's workgroups write partial sums to a workspace [splits, outputs], and
 * `sumPartials` adds them in a fixed order (deterministic, and a two-level tree for the rounding error).
 *
 * CPU adapters run few invocations at a time and gain no parallelism from splitting; they split only where a
 * serial sum would get too long for f32 (grad-weight of conv2d beyond 4096 positions).
 */
import type { GpuContext } from '../../device/context.js';
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

export interface SplitPlan {
  /** Number of chunks the reduction axis is cut into. */
  readonly splits: number;
  /** Reduction items per chunk (the last chunk may be shorter). */
  readonly chunk: number;
  /** Floats of workspace the partial sums need (0 when splits = 1: the kernel writes the result directly). */
  readonly workspaceFloats: number;
}

/** Enough workgroups to fill a large GPU (132 SMs on an H100/H200, a few workgroups each). */
const TARGET_WORKGROUPS = 512;

export interface SplitRequest {
  /** Items on the reduction axis. */
  readonly length: number;
  /** Results of the reduction (floats each split writes to the workspace). */
  readonly outputs: number;
  /** Workgroups one split dispatches. */
  readonly outputWorkgroups: number;
  /** On a GPU, the fewest items worth a split of their own. */
  readonly minChunk: number;
  /** On any device, the most items one split may add serially (a bound on f32 rounding growth). */
  readonly maxChunk: number;
  /** Chunks are multiples of this (a tile's K step). */
  readonly align: number;
  /** Forces the number of splits (tests, benchmarks). */
  readonly forced?: number | undefined;
}

/**
 * Cuts a reduction into chunks: on a GPU enough splits that outputWorkgroups × splits approaches
 * TARGET_WORKGROUPS (chunks no shorter than minChunk), on a CPU as few as maxChunk allows.
 */
export function planSplits(ctx: GpuContext, r: SplitRequest): SplitPlan {
  let wanted: number;
  if (r.forced !== undefined) {
    if (!Number.isInteger(r.forced) || r.forced < 1) throw new Error(`split reduction: splits = ${r.forced}; pass a positive integer`);
    wanted = r.forced;
  } else {
    const fill = ctx.adapter.isFallbackOrSoftware
      ? 1
      : Math.min(Math.ceil(r.length / r.minChunk), Math.ceil(TARGET_WORKGROUPS / r.outputWorkgroups));
    wanted = Math.max(fill, Math.ceil(r.length / r.maxChunk));
  }
  wanted = Math.max(1, Math.min(wanted, Math.ceil(r.length / r.align)));
  const chunk = Math.ceil(r.length / wanted / r.align) * r.align;
  const splits = Math.ceil(r.length / chunk);
  return { splits, chunk, workspaceFloats: splits > 1 ? splits * r.outputs : 0 };
}

/** Threads of a reduction workgroup along a plane axis: the smallest power of two covering it, at most `threads`. */
export const planeLanes = (length: number, threads: number): number => Math.min(threads, 2 ** Math.ceil(Math.log2(length)));

/** Grown on demand, one per context; kept until the device goes, since recorded commands may still use it. */
const workspaces = new WeakMap<GpuContext, GPUBuffer>();

/**
 * The workspace for a plan: the caller's slice when given (checked), else one owned by the context. Reusing one
 * buffer across dispatches of a pass is safe: WebGPU orders a dispatch's storage writes before the next dispatch.
 */
export function workspaceFor(rec: Recorder, fn: string, plan: SplitPlan, given: BufferSlice | undefined): BufferSlice | undefined {
  if (plan.splits === 1) return undefined;
  const bytes = plan.workspaceFloats * 4;
  if (given) {
    if (given.size < bytes) {
      throw new Error(
        `${fn}: workspace holds ${Math.floor(given.size / 4)} floats but ${plan.splits} partial sums need ${plan.workspaceFloats}; ` +
          'size it with the plan function of this kernel, or omit it',
      );
    }
    return { buffer: given.buffer, offset: given.offset, size: bytes };
  }
  let buffer = workspaces.get(rec.ctx);
  if (!buffer || buffer.size < bytes) {
    const size = Math.max(bytes, 2 * (buffer?.size ?? 0));
    buffer = rec.ctx.createBuffer('conv split-reduction workspace', size, GPUBufferUsage.STORAGE);
    workspaces.set(rec.ctx, buffer);
  }
  return { buffer, offset: 0, size: bytes };
}

export const sumPartialsKernel = defineKernel({
  name: 'sum_partials',
  bindings: { partials: read(), out: readWrite() },
  uniforms: { outputs: 'u32', splits: 'u32' },
  workgroupSize: [256, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.outputs) { return; }
  var s = 0.0;
  for (var z = 0u; z < u.splits; z = z + 1u) {
    s = s + partials[z * u.outputs + i];
  }
  ${c.accumulate ? 'out[i] = out[i] + s;' : 'out[i] = s;'}
}`,
});

/** out[i] = Σ_z partials[z·outputs + i] (or out[i] += it). */
export function sumPartials(
  rec: Recorder,
  partials: BufferSlice,
  out: BufferSlice,
  outputs: number,
  splits: number,
  accumulate: boolean,
): void {
  sumPartialsKernel.dispatch(rec, {
    config: { accumulate },
    bind: { partials, out },
    uniforms: { outputs, splits },
    grid: grid1d(rec.ctx, outputs, 256),
  });
}
