/**
 * Filling buffers with random numbers: uniform floats (initialisers, noise) and raw u32 words (the stream itself,
 * which is also how the tests prove the GPU and the CPU twin agree bit for bit). Element i is word i of the
 * call's stream (rng-state.ts), so one Philox call serves 4 consecutive elements.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkRngState, checkStream, RNG_WGSL } from './rng-state.js';

const WG = 64;

const fillWgsl = (store: string) => /* wgsl */ `
${RNG_WGSL}
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let block = flatIndex(gid, nwg);
  let first = block * 4u;
  if (first >= u.n) { return; }
  let words = rngBlock(u.stream, block);
  for (var j = 0u; j < 4u; j = j + 1u) {
    let i = first + j;
    if (i >= u.n) { break; }
    let w = words[j];
    ${store}
  }
}`;

export const uniformFillKernel = defineKernel({
  name: 'uniform_fill',
  bindings: { rng: read('u32'), y: readWrite() },
  uniforms: { n: 'u32', lo: 'f32', width: 'f32', stream: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => fillWgsl('y[i] = fma(u.width, unitFromWord(w), u.lo);'),
});

export const randomBitsKernel = defineKernel({
  name: 'random_bits',
  bindings: { rng: read('u32'), y: readWrite('u32') },
  uniforms: { n: 'u32', stream: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => fillWgsl('y[i] = w;'),
});

function checkCount(fn: string, y: BufferSlice, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31) throw new Error(`${fn}: n = ${n}; pass a positive integer up to 2^31`);
  if (y.size < n * 4) throw new Error(`${fn}: y holds ${Math.floor(y.size / 4)} ${what} but n = ${n}`);
}

export interface UniformFillOptions {
  /** Range [lo, hi); defaults 0 and 1. lo + (hi − lo)·u is rounded to f32, so hi itself can occur. */
  readonly lo?: number;
  readonly hi?: number;
  readonly stream: number;
}

/** y[i] = lo + (hi − lo)·u_i with u_i = word i of the stream as a 24-bit fraction. */
export function uniformFill(rec: Recorder, t: { rng: BufferSlice; y: BufferSlice }, n: number, options: UniformFillOptions): void {
  const lo = options.lo ?? 0;
  const hi = options.hi ?? 1;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) {
    throw new Error(`uniformFill: range [${lo}, ${hi}) is not a finite interval with hi >= lo`);
  }
  checkCount('uniformFill', t.y, n, 'floats');
  checkRngState('uniformFill', t.rng);
  checkStream('uniformFill', options.stream);
  uniformFillKernel.dispatch(rec, {
    bind: t,
    uniforms: { n, lo, width: hi - lo, stream: options.stream },
    grid: grid1d(rec.ctx, Math.ceil(n / 4), WG),
  });
}

/** y[i] = word i of the stream (u32). */
export function randomBits(rec: Recorder, t: { rng: BufferSlice; y: BufferSlice }, n: number, options: { stream: number }): void {
  checkCount('randomBits', t.y, n, 'u32');
  checkRngState('randomBits', t.rng);
  checkStream('randomBits', options.stream);
  randomBitsKernel.dispatch(rec, { bind: t, uniforms: { n, stream: options.stream }, grid: grid1d(rec.ctx, Math.ceil(n / 4), WG) });
}
