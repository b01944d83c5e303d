/**
 * Shape and operand checks shared by the batch-norm wrappers, and the WGSL that walks one channel of an NCHW tensor.
 */
import type { GpuContext } from '../../device/context.js';
import type { BufferSlice } from '../../kernel/slice.js';

/** An NCHW activation [N, C, H, W]; statistics are per channel, over N·H·W values. */
export interface BatchNormShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
}

export const describeShape = (s: BatchNormShape): string => `[N ${s.N}, C ${s.C}, H ${s.H}, W ${s.W}]`;

/**
 * Validates the shape; returns the element count and the per-channel reduction length. One workgroup reduces one
 * channel, so C is bounded by the grid limit.
 */
export function checkBatchNormShape(fn: string, ctx: GpuContext, s: BatchNormShape): { total: number; perChannel: number } {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`${fn}: ${name} = ${v} in shape ${describeShape(s)}; every dimension must be a positive integer`);
  }
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (s.C > max) {
    throw new Error(
      `${fn}: C = ${s.C} channels exceeds maxComputeWorkgroupsPerDimension ${max} (one workgroup per channel); split the channels`,
    );
  }
  return { total: s.N * s.C * s.H * s.W, perChannel: s.N * s.H * s.W };
}

export function checkFloats(fn: string, name: string, slice: BufferSlice, floats: number, s: BatchNormShape): void {
  if (slice.size < floats * 4) {
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but shape ${describeShape(s)} needs ${floats}`);
  }
}

/**
 * A dispatch may not bind overlapping ranges of one buffer when one of them is written (WebGPU rejects writable
 * storage aliasing), so in-place calls and shared ranges are refused here, by name, instead of by the validation
 * layer after submit.
 */
export function checkNoOverlap(fn: string, operands: Readonly<Record<string, BufferSlice | undefined>>, written: readonly string[]): void {
  for (const w of written) {
    const a = operands[w];
    if (!a) continue;
    for (const [other, b] of Object.entries(operands)) {
      if (other === w || !b || a.buffer !== b.buffer) continue;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        throw new Error(`${fn}: ${w} and ${other} overlap in buffer '${a.buffer.label}'; give ${w} its own range (no in-place batch norm)`);
      }
    }
  }
}

/** Both or neither of a pair of optional operands. */
export function checkPair(fn: string, aName: string, a: BufferSlice | undefined, bName: string, b: BufferSlice | undefined): boolean {
  if (!!a !== !!b) throw new Error(`${fn}: ${a ? aName : bName} is given without ${a ? bName : aName}; pass both or neither`);
  return !!a;
}

export function checkEpsilon(fn: string, epsilon: number): void {
  if (!(epsilon > 0) || !Number.isFinite(epsilon))
    throw new Error(`${fn}: epsilon = ${epsilon}; it must be a positive number (ENAS uses 1e-5)`);
}

/**
 * WGSL: the flat index of element j (0 ≤ j < N·HW) of channel c. NCHW stores channel c of image n as the contiguous
 * plane [(n·C + c)·HW, (n·C + c + 1)·HW), so consecutive invocations still read consecutive addresses within a plane.
 * Needs uniforms C and HW.
 */
/**
 * WGSL `storeStatistics(c, mean, variance, count)`: saves μ and 1/sqrt(σ² + ε) of channel c for the backward and,
 * with `running`, updates the running averages as TF's fused batch norm does: with the UNBIASED variance,
 * n/(n − 1) with n − 1 at least 1 (see batchnorm.ts). Shared by the one-workgroup and the chunked statistics.
 */
export const storeStatisticsWgsl = (running: boolean) => /* wgsl */ `
fn storeStatistics(c: u32, mean: f32, variance: f32, count: u32) {
  saveMean[c] = mean;
  saveInvStd[c] = inverseSqrt(variance + u.epsilon);${
    running
      ? `
  let unbiased = variance * (f32(count) / f32(max(count, 2u) - 1u));
  runningMean[c] = u.decay * runningMean[c] + (1.0 - u.decay) * mean;
  runningVar[c] = u.decay * runningVar[c] + (1.0 - u.decay) * unbiased;`
      : ''
  }
}`;

export const CHANNEL_ELEMENT_WGSL = /* wgsl */ `
fn channelElement(c: u32, j: u32) -> u32 {
  let n = j / u.HW;
  return (n * u.C + c) * u.HW + (j - n * u.HW);
}`;
