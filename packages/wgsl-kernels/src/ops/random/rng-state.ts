/**
 * The RNG state every random kernel reads, and how a kernel addresses its random words.
 *
 * State: a 16-byte storage buffer of 4 u32, read by kernels as the binding `rng`:
 *
 *   word 0, 1  key   = the seed (low, high 32 bits); fixed for a run
 *   word 2, 3  step  = a 64-bit counter (low, high), advanced on the GPU by `rngAdvance` once per training step
 *
 * The step lives in a storage buffer, not a uniform, because uniform records are content-addressed and written
 * once (kernel/uniforms.ts): a per-step uniform would create a new record every step. Advancing it with a kernel
 * keeps a recorded step replayable with no CPU write at all.
 *
 * Streams: each call site passes a fixed `stream` id (a uniform, so it costs nothing per step). Within one step,
 * (seed, step, stream) names an endless sequence of u32 words; word i is lane i mod 4 of the Philox block
 *
 *   philox4x32_10(counter = (i div 4, stream, step_lo, step_hi), key = (key0, key1))
 *
 * so kernels that need 4 numbers per item make one Philox call for them. Two call sites with different streams
 * draw independent numbers; the same stream twice in a step gives the same numbers again, which is how a
 * backward pass regenerates its forward pass's mask, and how a recurrent net reuses one dropout mask at every
 * time step (variational dropout) without storing it.
 */
import type { GpuContext } from '../../device/context.js';
import { defineKernel, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { mulhilo32, PHILOX_WGSL, philox4x32_10 } from './philox.js';

export const RNG_STATE_WORDS = 4;
export const RNG_STATE_BYTES = RNG_STATE_WORDS * 4;

/**
 * WGSL for kernels that declare the binding `rng: read('u32')`: Philox plus the stream addressing above.
 * `unitFromWord` keeps the top 24 bits, so the float is exact in f32 and the CPU twin gets the same value;
 * `wordBelow(w, m)` = floor(w·m / 2^32), an integer in [0, m) (bias < m / 2^32, negligible for image sizes).
 */
export const RNG_WGSL = /* wgsl */ `
${PHILOX_WGSL}
fn rngBlock(stream: u32, block: u32) -> vec4u {
  return philox4x32_10(vec4u(block, stream, rng[2], rng[3]), vec2u(rng[0], rng[1]));
}

fn rngWord(stream: u32, index: u32) -> u32 {
  return rngBlock(stream, index >> 2u)[index & 3u];
}

fn unitFromWord(w: u32) -> f32 {
  return f32(w >> 8u) * (1.0 / 16777216.0);
}

fn wordBelow(w: u32, m: u32) -> u32 {
  return mulhilo32(w, m).x;
}
`;

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${what}: seed = ${seed}; pass a non-negative integer below 2^53`);
  }
}

/** The 4 state words for a seed (any integer in [0, 2^53)) and a starting step. */
export function rngStateWords(seed: number, step = 0): Uint32Array {
  checkSeed(seed, 'rngStateWords');
  checkSeed(step, 'rngStateWords (step)');
  return Uint32Array.of(seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, step >>> 0, Math.floor(step / 2 ** 32) >>> 0);
}

/** A new RNG state buffer holding (seed, step): written once here, then advanced on the GPU. */
export function createRngState(ctx: GpuContext, seed: number, step = 0, label = 'rng-state'): BufferSlice {
  const words = rngStateWords(seed, step);
  const buffer = ctx.createStorageBuffer(label, words);
  return { buffer, offset: 0, size: RNG_STATE_BYTES };
}

/** Checks that a slice can be the `rng` binding of a random kernel. */
export function checkRngState(fn: string, rng: BufferSlice): void {
  if (rng.size < RNG_STATE_BYTES) {
    throw new Error(
      `${fn}: the RNG state slice has ${rng.size} bytes; it needs ${RNG_STATE_BYTES} (4 u32: key lo, key hi, step lo, step hi) — create it with createRngState`,
    );
  }
}

/** Checks a call-site stream id. */
export function checkStream(fn: string, stream: number): void {
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new Error(`${fn}: stream = ${stream}; pass a fixed u32 id per call site`);
  }
}

export const rngAdvanceKernel = defineKernel({
  name: 'rng_advance',
  bindings: { rng: readWrite('u32') },
  uniforms: { steps: 'u32' },
  workgroupSize: [1, 1, 1],
  wgsl: () => /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  let lo = rng[2] + u.steps;
  rng[3] = rng[3] + select(0u, 1u, lo < u.steps);
  rng[2] = lo;
}`,
});

/** Adds `steps` (a fixed number, default 1) to the 64-bit step counter, on the GPU. Record once per step. */
export function rngAdvance(rec: Recorder, rng: BufferSlice, steps = 1): void {
  checkRngState('rngAdvance', rng);
  if (!Number.isInteger(steps) || steps < 1 || steps > 0xffffffff) {
    throw new Error(`rngAdvance: steps = ${steps}; pass a positive u32`);
  }
  rngAdvanceKernel.dispatch(rec, { bind: { rng }, uniforms: { steps }, grid: [1] });
}

// ---------------------------------------------------------------------------------------------------------------
// The CPU twin: the same words as the GPU for the same state, so references use the GPU's random numbers.

/** State words after `steps` more advances (the CPU twin of `rngAdvance`). */
export function advanceRngStateCpu(state: ArrayLike<number>, steps = 1): Uint32Array {
  const lo = ((state[2] as number) + steps) >>> 0;
  const carry = lo < steps ? 1 : 0;
  return Uint32Array.of(state[0] as number, state[1] as number, lo, ((state[3] as number) + carry) >>> 0);
}

/** Philox block `block` of `stream` under `state` (the CPU twin of the WGSL `rngBlock`). */
export function rngBlockCpu(state: ArrayLike<number>, stream: number, block: number): Uint32Array {
  return philox4x32_10([block >>> 0, stream >>> 0, state[2] as number, state[3] as number], [state[0] as number, state[1] as number]);
}

/** Words `start .. start + count − 1` of `stream` under `state`. */
export function rngWordsCpu(state: ArrayLike<number>, stream: number, count: number, start = 0): Uint32Array {
  const out = new Uint32Array(count);
  let block = -1;
  let words: Uint32Array = new Uint32Array(4);
  for (let j = 0; j < count; j++) {
    const i = start + j;
    if (i >>> 2 !== block) {
      block = i >>> 2;
      words = rngBlockCpu(state, stream, block);
    }
    out[j] = words[i & 3] as number;
  }
  return out;
}

/** A word as a float in [0, 1) with 24 random bits (exactly the f32 the WGSL `unitFromWord` makes). */
export function unitFromWord(w: number): number {
  return (w >>> 8) / 16777216;
}

/** floor(w·m / 2^32): an integer in [0, m) (the CPU twin of the WGSL `wordBelow`). */
export function wordBelow(w: number, m: number): number {
  return mulhilo32(w >>> 0, m >>> 0)[0];
}
