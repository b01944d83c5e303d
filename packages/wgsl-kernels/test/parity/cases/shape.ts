/**
 * Parity cases of src/ops/shape: strided sampling (the 1×1 stride-2 sampling of factorized reduction, with and
 * without the one-pixel shift) and its backward, channel copy / concat / split (NCHW), and packStrided and
 * packIndexed (u32 words, compared exactly).
 */
import {
  type ConcatChannelsShape,
  type CopyChannelsShape,
  concatChannels,
  copyChannels,
  splitChannels,
} from '../../../src/ops/shape/copy-channels.js';
import { concatChannelsRef, copyChannelsRef, splitChannelsRef } from '../../../src/ops/shape/copy-channels.reference.js';
import { packIndexed } from '../../../src/ops/shape/pack-indexed.js';
import { packStrided } from '../../../src/ops/shape/pack-strided.js';
import {
  type StridedSampleShape,
  stridedSample,
  stridedSampleBackward,
  stridedSampleOutputShape,
} from '../../../src/ops/shape/strided-sample.js';
import { stridedSampleBackwardRef, stridedSampleRef } from '../../../src/ops/shape/strided-sample.reference.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

const sampleText = (s: StridedSampleShape) => `${s.N}x${s.C}x${s.H}x${s.W} stride ${s.stride} offset ${s.offset}`;

function sampleSizes(s: StridedSampleShape) {
  const [N, C, Hout, Wout] = stridedSampleOutputShape(s);
  return { x: s.N * s.C * s.H * s.W, y: N * C * Hout * Wout };
}

function stridedSampleCase(s: StridedSampleShape, arena = false) {
  const n = sampleSizes(s);
  return parityCase({
    name: `stridedSample ${sampleText(s)}${arena ? ' (arena)' : ''}`,
    family: 'shape',
    arena,
    inputs: (rng) => ({ x: rng.f32(n.x) }),
    outputs: () => ({ y: { count: n.y } }),
    record: (rec, t) => stridedSample(rec, { x: t.x, y: t.y }, s),
    reference: ({ x }) => ({ y: stridedSampleRef(x, s) }),
  });
}

function stridedSampleBackwardCase(s: StridedSampleShape, accumulate = false) {
  const n = sampleSizes(s);
  return parityCase({
    name: `stridedSampleBackward ${sampleText(s)}${accumulate ? ' accumulate' : ''}`,
    family: 'shape',
    inputs: (rng) => ({ dy: rng.f32(n.y), prior: rng.f32(n.x) }),
    outputs: ({ prior }) => ({ dx: accumulate ? { initial: prior } : { count: n.x } }),
    record: (rec, t) => stridedSampleBackward(rec, { dy: t.dy, dx: t.dx }, s, accumulate),
    reference: ({ dy, prior }) => {
      const dx = stridedSampleBackwardRef(dy, s);
      return { dx: accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

/** dst starts with random contents: the channels outside the copied block must keep them. */
function copyChannelsCase(s: CopyChannelsShape, accumulate = false) {
  const area = s.H * s.W;
  return parityCase({
    name:
      `copyChannels ${s.N}x[${s.srcOffset}+${s.channels} of ${s.srcChannels}]x${s.H}x${s.W} -> ` +
      `[${s.dstOffset}.. of ${s.dstChannels}]${accumulate ? ' accumulate' : ''}`,
    family: 'shape',
    inputs: (rng) => ({ src: rng.f32(s.N * s.srcChannels * area), prior: rng.f32(s.N * s.dstChannels * area) }),
    outputs: ({ prior }) => ({ dst: { initial: prior } }),
    record: (rec, t) => copyChannels(rec, { src: t.src, dst: t.dst }, s, accumulate),
    reference: ({ src, prior }) => ({ dst: copyChannelsRef(src, prior, s, accumulate) }),
  });
}

// Three parts, so the middle one has an offset on both sides; one with a single channel.
const CONCAT: ConcatChannelsShape = { N: 2, H: 3, W: 5, channels: [3, 1, 4] };
const partSize = (s: ConcatChannelsShape, i: number) => s.N * (s.channels[i] as number) * s.H * s.W;
const wholeSize = (s: ConcatChannelsShape) => s.N * s.channels.reduce((a, b) => a + b, 0) * s.H * s.W;

const concatCase = parityCase({
  name: `concatChannels ${CONCAT.N}x[${CONCAT.channels.join('+')}]x${CONCAT.H}x${CONCAT.W} (arena)`,
  family: 'shape',
  arena: true,
  inputs: (rng) => ({ x0: rng.f32(partSize(CONCAT, 0)), x1: rng.f32(partSize(CONCAT, 1)), x2: rng.f32(partSize(CONCAT, 2)) }),
  outputs: () => ({ y: { count: wholeSize(CONCAT) } }),
  record: (rec, t) => concatChannels(rec, { xs: [t.x0, t.x1, t.x2], y: t.y }, CONCAT),
  reference: ({ x0, x1, x2 }) => ({ y: concatChannelsRef([x0, x1, x2], CONCAT) }),
});

/** The split is concat's backward; the last part accumulates (its tensor feeds another node too). */
const splitCase = parityCase({
  name: `splitChannels ${CONCAT.N}x[${CONCAT.channels.join('+')}]x${CONCAT.H}x${CONCAT.W}, last part accumulates`,
  family: 'shape',
  inputs: (rng) => ({ dy: rng.f32(wholeSize(CONCAT)), prior2: rng.f32(partSize(CONCAT, 2)) }),
  outputs: ({ prior2 }) => ({ dx0: { count: partSize(CONCAT, 0) }, dx1: { count: partSize(CONCAT, 1) }, dx2: { initial: prior2 } }),
  record: (rec, t) => splitChannels(rec, { dy: t.dy, dxs: [t.dx0, t.dx1, t.dx2] }, CONCAT, [false, false, true]),
  reference: ({ dy, prior2 }) => {
    const [dx0, dx1, dx2] = splitChannelsRef(dy, CONCAT) as [Float64Array, Float64Array, Float64Array];
    return { dx0, dx1, dx2: plusPrior(dx2, prior2) };
  },
});

/** u32 words (e.g. a NaN pattern and arbitrary bits): a copy, so the bits must survive exactly. */
function packStridedCase(n: number, stride: number, arena = false) {
  return parityCase({
    name: `packStrided ${n} words stride ${stride}${arena ? ' (arena)' : ''}`,
    family: 'shape',
    arena,
    inputs: (rng) => ({ x: Uint32Array.from({ length: (n - 1) * stride + 1 }, () => rng.int(0, 0xffffffff)) }),
    outputs: () => ({ y: { count: n, type: 'u32' as const } }),
    record: (rec, t) => packStrided(rec, { x: t.x, y: t.y }, n, stride),
    reference: ({ x }) => ({ y: Uint32Array.from({ length: n }, (_, i) => x[i * stride] as number) }),
  });
}

/**
 * 70 words gathered from 50 in a scrambled order with repeats; the last index is past the end of x, which the
 * kernel writes as 0xffffffff.
 */
function packIndexedCase(arena = false) {
  const [n, words] = [70, 50];
  return parityCase({
    name: `packIndexed ${n} of ${words} words${arena ? ' (arena)' : ''}`,
    family: 'shape',
    arena,
    inputs: (rng) => ({
      x: Uint32Array.from({ length: words }, () => rng.int(0, 0xffffffff)),
      index: Uint32Array.from({ length: n }, (_, i) => (i === n - 1 ? words + 3 : rng.int(0, words - 1))),
    }),
    outputs: () => ({ y: { count: n, type: 'u32' as const } }),
    record: (rec, t) => packIndexed(rec, { x: t.x, index: t.index, y: t.y }, n),
    reference: ({ x, index }) => ({ y: Uint32Array.from(index, (k) => (k < words ? (x[k] as number) : 0xffffffff)) }),
  });
}

// Odd sizes at stride 2; offset 1 is factorized reduction's shifted path (pad bottom/right, crop top/left).
const SAMPLE: StridedSampleShape = { N: 2, C: 3, H: 7, W: 5, stride: 2, offset: 0 };
const SHIFTED: StridedSampleShape = { N: 2, C: 2, H: 6, W: 7, stride: 2, offset: 1 };

export const shapeCases: ParityCase[] = [
  stridedSampleCase(SAMPLE),
  stridedSampleCase(SHIFTED, true),
  stridedSampleBackwardCase(SAMPLE),
  stridedSampleBackwardCase(SHIFTED, true),
  copyChannelsCase({ N: 2, H: 4, W: 3, srcChannels: 5, srcOffset: 1, dstChannels: 6, dstOffset: 3, channels: 3 }),
  copyChannelsCase({ N: 3, H: 2, W: 5, srcChannels: 2, srcOffset: 0, dstChannels: 4, dstOffset: 1, channels: 2 }, true),
  concatCase,
  splitCase,
  packStridedCase(130, 3),
  packStridedCase(7, 64, true),
  packIndexedCase(),
  packIndexedCase(true),
];
