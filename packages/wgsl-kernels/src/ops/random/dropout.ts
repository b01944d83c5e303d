/**
 * Dropout, variational dropout and drop-path: one kernel. The tensor is viewed as [outer, maskSize, inner] and
 * element (a, m, b) is kept iff random word m of the call's stream says so; kept elements are scaled by 1/keep
 * (inverted dropout, as `tf.nn.dropout` in the official ENAS code):
 *
 *   dropout            [1, n, 1]           one decision per element
 *   variationalDropout [T, B·H, 1]         one decision per (b, h), shared over the T time steps
 *   dropPath           [1, N, C·H·W]       one decision per sample, applied to its whole path
 *   (rows of a matrix) [1, rows, cols]     e.g. the language model's embedding row dropout (`dropoutBroadcast`)
 *
 * The backward is the same operation on dy (the mask is regenerated from the same (state, stream), never stored),
 * so it must be recorded before the next `rngAdvance`. Decisions compare the top 24 bits of the word with
 * round(keep·2^24) in integers, so the CPU reference makes exactly the same decisions.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkRngState, checkStream, RNG_WGSL } from './rng-state.js';

const WG = 64;
/** Elements per invocation: one Philox call yields 4 words, which cover 4 consecutive mask entries. */
const PER_THREAD = 4;

export interface DropoutOptions {
  /** Keep probability in (0, 1]; the ENAS code's `keep_prob` (1 − drop rate). */
  readonly keep: number;
  /** Fixed id of the call site; see rng-state.ts. */
  readonly stream: number;
}

export interface DropoutBackwardOptions extends DropoutOptions {
  /** dx += g instead of dx = g. */
  readonly accumulate?: boolean;
}

/** [outer, maskSize, inner]: one keep/drop decision per maskSize index. */
export interface DropoutView {
  readonly outer: number;
  readonly maskSize: number;
  readonly inner: number;
}

export const dropoutKernel = defineKernel({
  name: 'dropout',
  bindings: { rng: read('u32'), x: read(), y: readWrite() },
  uniforms: { n: 'u32', maskSize: 'u32', inner: 'u32', threshold: 'u32', scale: 'f32', stream: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: { accumulate: boolean }) => /* wgsl */ `
${RNG_WGSL}
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let first = flatIndex(gid, nwg) * ${PER_THREAD}u;
  if (first >= u.n) { return; }
  var block = 0xffffffffu;
  var words = vec4u(0u);
  for (var j = 0u; j < ${PER_THREAD}u; j = j + 1u) {
    let i = first + j;
    if (i >= u.n) { break; }
    let m = (i / u.inner) % u.maskSize;
    if ((m >> 2u) != block) {
      block = m >> 2u;
      words = rngBlock(u.stream, block);
    }
    let kept = (words[m & 3u] >> 8u) < u.threshold;
    // select, not multiply by 0: a dropped element is 0 even where x is infinite or NaN.
    let g = select(0.0, x[i] * u.scale, kept);
    ${c.accumulate ? 'y[i] = y[i] + g;' : 'y[i] = g;'}
  }
}`,
});

/** Number of 24-bit values below which a word keeps its element: round(keep · 2^24). */
export function dropoutThreshold(fn: string, keep: number): number {
  if (!(keep > 0 && keep <= 1)) {
    throw new Error(`${fn}: keep = ${keep}; the keep probability must be in (0, 1] (keep = 1 − drop rate)`);
  }
  return Math.max(1, Math.round(keep * 2 ** 24));
}

function checkDims(fn: string, dims: object): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; every dimension must be a positive integer`);
  }
}

function checkFloats(fn: string, name: string, slice: BufferSlice, n: number, shape: string): void {
  if (slice.size < n * 4) {
    throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but shape ${shape} needs ${n}`);
  }
}

function record(
  rec: Recorder,
  fn: string,
  t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice },
  view: DropoutView,
  options: DropoutBackwardOptions,
  shape: string,
  names: [string, string],
): void {
  const n = view.outer * view.maskSize * view.inner;
  if (n > 2 ** 31) throw new Error(`${fn}: shape ${shape} has ${n} elements; at most 2^31 per dispatch — split the tensor`);
  checkRngState(fn, t.rng);
  checkStream(fn, options.stream);
  const threshold = dropoutThreshold(fn, options.keep);
  checkFloats(fn, names[0], t.x, n, shape);
  checkFloats(fn, names[1], t.y, n, shape);
  if (t.x.buffer === t.y.buffer && t.x.offset < t.y.offset + n * 4 && t.y.offset < t.x.offset + n * 4) {
    // WebGPU rejects a dispatch whose writable binding overlaps another binding of the same buffer.
    throw new Error(
      `${fn}: ${names[0]} and ${names[1]} overlap in buffer '${t.x.buffer.label}'; in place is not supported, write to another range`,
    );
  }
  dropoutKernel.dispatch(rec, {
    config: { accumulate: !!options.accumulate },
    bind: { rng: t.rng, x: t.x, y: t.y },
    uniforms: { n, maskSize: view.maskSize, inner: view.inner, threshold, scale: 1 / options.keep, stream: options.stream },
    grid: grid1d(rec.ctx, Math.ceil(n / PER_THREAD), WG),
  });
}

const FORWARD: [string, string] = ['x', 'y'];
const BACKWARD: [string, string] = ['dy', 'dx'];

/**
 * The general form: y (+)= x ⊙ mask with the mask broadcast over `outer` and `inner`; the same call on (dy, dx)
 * is its backward. E.g. the language model's embedding row dropout is [1, V, D] on the embedding matrix.
 */
export function dropoutBroadcast(
  rec: Recorder,
  t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice },
  view: DropoutView,
  options: DropoutBackwardOptions,
): void {
  checkDims('dropoutBroadcast', view);
  record(rec, 'dropoutBroadcast', t, view, options, `[outer=${view.outer}, maskSize=${view.maskSize}, inner=${view.inner}]`, FORWARD);
}

/** y = dropout(x) over n elements, each kept with probability `keep` and scaled by 1/keep. */
export function dropout(rec: Recorder, t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice }, n: number, options: DropoutOptions): void {
  checkDims('dropout', { n });
  record(rec, 'dropout', t, { outer: 1, maskSize: n, inner: 1 }, options, `[${n}]`, FORWARD);
}

/** dx (+)= mask ⊙ dy, the mask regenerated from the forward's (state, stream, keep). */
export function dropoutBackward(
  rec: Recorder,
  t: { rng: BufferSlice; dy: BufferSlice; dx: BufferSlice },
  n: number,
  options: DropoutBackwardOptions,
): void {
  checkDims('dropoutBackward', { n });
  record(rec, 'dropoutBackward', { rng: t.rng, x: t.dy, y: t.dx }, { outer: 1, maskSize: n, inner: 1 }, options, `[${n}]`, BACKWARD);
}

export interface VariationalDropoutShape {
  /** Time steps. */
  readonly T: number;
  readonly B: number;
  readonly H: number;
}

const sequenceView = (s: VariationalDropoutShape): DropoutView => ({ outer: s.T, maskSize: s.B * s.H, inner: 1 });
const sequenceText = (s: VariationalDropoutShape) => `[T=${s.T}, B=${s.B}, H=${s.H}]`;

/** Variational (locked) dropout of a [T, B, H] tensor: one mask per (b, h), the same at every time step. */
export function variationalDropout(
  rec: Recorder,
  t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice },
  s: VariationalDropoutShape,
  options: DropoutOptions,
): void {
  checkDims('variationalDropout', s);
  record(rec, 'variationalDropout', t, sequenceView(s), options, sequenceText(s), FORWARD);
}

export function variationalDropoutBackward(
  rec: Recorder,
  t: { rng: BufferSlice; dy: BufferSlice; dx: BufferSlice },
  s: VariationalDropoutShape,
  options: DropoutBackwardOptions,
): void {
  checkDims('variationalDropoutBackward', s);
  record(rec, 'variationalDropoutBackward', { rng: t.rng, x: t.dy, y: t.dx }, sequenceView(s), options, sequenceText(s), BACKWARD);
}

export interface DropPathShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
}

const pathView = (s: DropPathShape): DropoutView => ({ outer: 1, maskSize: s.N, inner: s.C * s.H * s.W });
const nchwText = (s: DropPathShape) => `[N=${s.N}, C=${s.C}, H=${s.H}, W=${s.W}]`;

/** Drop-path of an NCHW tensor: each sample's whole path is kept (×1/keep) or zeroed, with probability keep. */
export function dropPath(
  rec: Recorder,
  t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice },
  s: DropPathShape,
  options: DropoutOptions,
): void {
  checkDims('dropPath', s);
  record(rec, 'dropPath', t, pathView(s), options, nchwText(s), FORWARD);
}

export function dropPathBackward(
  rec: Recorder,
  t: { rng: BufferSlice; dy: BufferSlice; dx: BufferSlice },
  s: DropPathShape,
  options: DropoutBackwardOptions,
): void {
  checkDims('dropPathBackward', s);
  record(rec, 'dropPathBackward', { rng: t.rng, x: t.dy, y: t.dx }, pathView(s), options, nchwText(s), BACKWARD);
}
