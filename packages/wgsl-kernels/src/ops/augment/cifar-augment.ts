/**
 * CIFAR training augmentation of an NCHW batch on the GPU, in the order of the official code (OFF
 * `src/cifar10/models.py` `_pre_process`; reference notes a.2, a.3):
 *
 *   1. zero-pad by `pad` (4) on every side and crop back to H×W at a random offset (oy, ox) ∈ [0, 2·pad]²;
 *   2. flip left-right with probability 1/2;
 *   3. optionally, cutout: zero a size×size square of every channel, clipped at the borders.
 *
 * Cutout placement: OFF draws the square's top-left corner uniformly in [0, H)×[0, W) and clips it at the bottom
 * and right ('corner', the default here). DeVries & Taylor's cutout, which TDV uses, draws the square's centre
 * uniformly and clips on all sides ('centre': rows [r − ⌊size/2⌋, r − ⌊size/2⌋ + size)).
 *
 * Randomness: image n uses words 8n .. 8n+4 of the call's stream (two Philox blocks): oy, ox, flip (top bit),
 * cutout row, cutout column. Padding is zero in whatever space the input is in (OFF normalises first, so its
 * padding is the mean colour). One workgroup covers WG elements of one image; its first invocation draws that
 * image's parameters into workgroup memory.
 */
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkRngState, checkStream, RNG_WGSL } from '../random/rng-state.js';

const WG = 256;
/** Random words per image (rounded up to whole Philox blocks). */
export const AUGMENT_WORDS_PER_IMAGE = 8;

export interface AugmentShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
}

export type CutoutPlacement = 'corner' | 'centre';

export interface CifarAugmentOptions {
  /** Fixed id of the call site. */
  readonly stream: number;
  /** Zero padding of the random crop; default 4 (offsets in [0, 8]). 0 disables the crop. */
  readonly pad?: number;
  /** Random horizontal flip; default true. */
  readonly flip?: boolean;
  /** Side of the cutout square; default 0 (no cutout). */
  readonly cutoutSize?: number;
  /** Default 'corner' (the official code); see the file comment. */
  readonly cutoutPlacement?: CutoutPlacement;
}

interface AugmentConfig {
  readonly flip: boolean;
  readonly cutout: boolean;
}

export const cifarAugmentKernel = defineKernel({
  name: 'cifar_augment',
  bindings: { rng: read('u32'), x: read(), y: readWrite() },
  uniforms: { C: 'u32', H: 'u32', W: 'u32', pad: 'u32', cutoutSize: 'u32', cutoutShift: 'u32', stream: 'u32' },
  workgroupSize: [WG, 1, 1],
  workgroupMemoryBytes: () => 5 * 4,
  wgsl: (c: AugmentConfig) => /* wgsl */ `
${RNG_WGSL}
// oy, ox, flip, cutout row, cutout column of this workgroup's image.
var<workgroup> params: array<u32, 5>;

@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.y;
  if (lid == 0u) {
    let a = rngBlock(u.stream, 2u * n);
    let b = rngBlock(u.stream, 2u * n + 1u);
    params[0] = wordBelow(a.x, 2u * u.pad + 1u);
    params[1] = wordBelow(a.y, 2u * u.pad + 1u);
    params[2] = a.z >> 31u;
    params[3] = wordBelow(a.w, u.H);
    params[4] = wordBelow(b.x, u.W);
  }
  workgroupBarrier();
  let plane = u.H * u.W;
  let e = wid.x * WG_X + lid;
  if (e >= u.C * plane) { return; }
  let within = e % plane;
  let i = within / u.W;
  let j = within - i * u.W;
  let image = n * u.C * plane;
  // Crop, then flip: output column j reads cropped column W − 1 − j.
  let cj = ${c.flip ? 'select(j, u.W - 1u - j, params[2] == 1u)' : 'j'};
  let sy = i32(i + params[0]) - i32(u.pad);
  let sx = i32(cj + params[1]) - i32(u.pad);
  var v = 0.0;
  if (sy >= 0 && sy < i32(u.H) && sx >= 0 && sx < i32(u.W)) {
    v = x[image + (e - within) + u32(sy) * u.W + u32(sx)];
  }
  ${
    c.cutout
      ? `let r0 = i32(params[3]) - i32(u.cutoutShift);
  let c0 = i32(params[4]) - i32(u.cutoutShift);
  let size = i32(u.cutoutSize);
  if (i32(i) >= r0 && i32(i) < r0 + size && i32(j) >= c0 && i32(j) < c0 + size) { v = 0.0; }`
      : ''
  }
  y[image + e] = v;
}`,
});

/** y = augment(x) for an NCHW batch; x and y must not overlap. */
export function cifarAugment(
  rec: Recorder,
  t: { rng: BufferSlice; x: BufferSlice; y: BufferSlice },
  s: AugmentShape,
  options: CifarAugmentOptions,
): void {
  const fn = 'cifarAugment';
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} = ${value}; N, C, H and W must be positive integers`);
  }
  const n = s.N * s.C * s.H * s.W;
  if (n > 2 ** 31) throw new Error(`${fn}: [N=${s.N}, C=${s.C}, H=${s.H}, W=${s.W}] exceeds 2^31 elements`);
  const maxGroups = rec.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (s.N > maxGroups) throw new Error(`${fn}: batch N = ${s.N} exceeds ${maxGroups} images per dispatch; split the batch`);
  const pad = options.pad ?? 4;
  const cutoutSize = options.cutoutSize ?? 0;
  const placement = options.cutoutPlacement ?? 'corner';
  if (!Number.isInteger(pad) || pad < 0 || pad > 1024) throw new Error(`${fn}: pad = ${pad}; pass an integer in [0, 1024]`);
  if (!Number.isInteger(cutoutSize) || cutoutSize < 0) throw new Error(`${fn}: cutoutSize = ${cutoutSize}; pass a non-negative integer`);
  if (placement !== 'corner' && placement !== 'centre')
    throw new Error(`${fn}: cutoutPlacement '${placement}' is not 'corner' or 'centre'`);
  checkRngState(fn, t.rng);
  checkStream(fn, options.stream);
  for (const [name, slice] of [
    ['x', t.x],
    ['y', t.y],
  ] as const) {
    if (slice.size < n * 4) {
      throw new Error(`${fn}: ${name} holds ${Math.floor(slice.size / 4)} floats but [N=${s.N}, C=${s.C}, H=${s.H}, W=${s.W}] needs ${n}`);
    }
  }
  if (t.x.buffer === t.y.buffer && t.x.offset < t.y.offset + n * 4 && t.y.offset < t.x.offset + n * 4) {
    throw new Error(`${fn}: x and y overlap in buffer '${t.x.buffer.label}'; a crop reads other pixels, so write to another range`);
  }
  cifarAugmentKernel.dispatch(rec, {
    config: { flip: options.flip ?? true, cutout: cutoutSize > 0 },
    bind: t,
    uniforms: {
      C: s.C,
      H: s.H,
      W: s.W,
      pad,
      cutoutSize,
      cutoutShift: placement === 'centre' ? Math.floor(cutoutSize / 2) : 0,
      stream: options.stream,
    },
    grid: [Math.ceil((s.C * s.H * s.W) / WG), s.N],
  });
}
