/**
 * Parity cases of src/ops/random. Everything here is compared bit for bit, in both runtimes and against the CPU
 * twin of the generator: the raw Philox words, the 64-bit step counter after rngAdvance, uniform floats, and the
 * outputs of dropout, variational dropout and drop-path, forward and backward (read back as u32 bit patterns).
 *
 * Exactness of the float outputs is by construction, not luck: uniformFill's range [−0.5, 0.5) makes
 * lo + width·u exact for the 24-bit u; dropout keeps with 1/keep ∈ {1.25, 2}, so x·(1/keep) needs at most 27
 * significant bits and float64 rounded once to f32 is exactly the f32 product (and, with keep 0.5, the sum when
 * accumulating); dropped elements are +0 in both.
 */
import type { Recorder } from '../../../src/kernel/recorder.js';
import type { BufferSlice } from '../../../src/kernel/slice.js';
import {
  type DropoutBackwardOptions,
  type DropoutView,
  dropout,
  dropoutBackward,
  dropoutBroadcast,
  dropPath,
  dropPathBackward,
  variationalDropout,
  variationalDropoutBackward,
} from '../../../src/ops/random/dropout.js';
import { dropoutBroadcastRef, uniformFillRef } from '../../../src/ops/random/random.reference.js';
import { randomBits, uniformFill } from '../../../src/ops/random/random-fill.js';
import { advanceRngStateCpu, rngAdvance, rngWordsCpu } from '../../../src/ops/random/rng-state.js';
import type { Rng } from '../../../src/util/rng.js';
import { f32Bits, type ParityCase, parityCase, plusPrior } from '../parity-case.js';

/** A state with every word's high bits in play: key and a step counter past 2^32. */
const stateOf = (rng: Rng) => Uint32Array.of(rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), rng.int(1, 5));

const STREAM = 11;

const randomBitsCase = parityCase({
  name: 'randomBits 1001 words',
  family: 'random',
  inputs: (rng) => ({ rng: stateOf(rng) }),
  outputs: () => ({ y: { count: 1001, type: 'u32' as const } }),
  record: (rec, t) => randomBits(rec, { rng: t.rng, y: t.y }, 1001, { stream: STREAM }),
  reference: ({ rng }) => ({ y: rngWordsCpu(rng, STREAM, 1001) }),
});

/** Two advances, the first carrying into the high word of the 64-bit step (the state is updated in place). */
const rngAdvanceCase = parityCase({
  name: 'rngAdvance with a carry into the high word (arena)',
  family: 'random',
  arena: true,
  inputs: (rng) => ({ state0: Uint32Array.of(rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), 0xfffffff0, 7) }),
  outputs: ({ state0 }) => ({ state: { initial: state0 } }),
  record: (rec, t) => {
    rngAdvance(rec, t.state, 0x20);
    rngAdvance(rec, t.state);
  },
  reference: ({ state0 }) => ({ state: advanceRngStateCpu(advanceRngStateCpu(state0, 0x20), 1) }),
});

/** lo = −0.5, width 1: every value is exact in f32 (see the file comment). */
function uniformFillCase(n: number, arena = false) {
  return parityCase({
    name: `uniformFill ${n} in [-0.5, 0.5)${arena ? ' (arena)' : ''}`,
    family: 'random',
    arena,
    inputs: (rng) => ({ rng: stateOf(rng) }),
    outputs: () => ({ y: { count: n, type: 'u32' as const } }),
    record: (rec, t) => uniformFill(rec, { rng: t.rng, y: t.y }, n, { lo: -0.5, hi: 0.5, stream: STREAM }),
    reference: ({ rng }) => ({ y: f32Bits(uniformFillRef(rng, STREAM, n, -0.5, 0.5)) }),
  });
}

type Slices = { rng: BufferSlice; x: BufferSlice; y: BufferSlice };
type Grads = { rng: BufferSlice; dy: BufferSlice; dx: BufferSlice };

interface DropoutKind {
  /** The [outer, maskSize, inner] view the kind applies its mask over (dropout.ts). */
  readonly view: DropoutView;
  readonly forward: (rec: Recorder, t: Slices, o: DropoutBackwardOptions) => void;
  readonly backward: (rec: Recorder, t: Grads, o: DropoutBackwardOptions) => void;
}

const VARIATIONAL = { T: 3, B: 4, H: 7 };
const DROP_PATH = { N: 5, C: 2, H: 3, W: 3 };
const ROWS: DropoutView = { outer: 1, maskSize: 9, inner: 6 };

const KINDS: Record<string, DropoutKind> = {
  // Not a multiple of 4 (words per Philox block) nor of a workgroup's 64 threads × 4 elements.
  dropout: {
    view: { outer: 1, maskSize: 1001, inner: 1 },
    forward: (rec, t, o) => dropout(rec, t, 1001, o),
    backward: (rec, t, o) => dropoutBackward(rec, t, 1001, o),
  },
  // One mask over B·H, shared by the T time steps.
  variational: {
    view: { outer: VARIATIONAL.T, maskSize: VARIATIONAL.B * VARIATIONAL.H, inner: 1 },
    forward: (rec, t, o) => variationalDropout(rec, t, VARIATIONAL, o),
    backward: (rec, t, o) => variationalDropoutBackward(rec, t, VARIATIONAL, o),
  },
  // One decision per sample.
  dropPath: {
    view: { outer: 1, maskSize: DROP_PATH.N, inner: DROP_PATH.C * DROP_PATH.H * DROP_PATH.W },
    forward: (rec, t, o) => dropPath(rec, t, DROP_PATH, o),
    backward: (rec, t, o) => dropPathBackward(rec, t, DROP_PATH, o),
  },
  // The language model's embedding-row dropout, [1, V, D]; its backward is the same call on (dy, dx).
  broadcast: {
    view: ROWS,
    forward: (rec, t, o) => dropoutBroadcast(rec, t, ROWS, o),
    backward: (rec, t, o) => dropoutBroadcast(rec, { rng: t.rng, x: t.dy, y: t.dx }, ROWS, o),
  },
};

function dropoutCase(kind: keyof typeof KINDS, o: { backward: boolean; keep: 0.8 | 0.5; accumulate?: boolean; arena?: boolean }) {
  const k = KINDS[kind] as DropoutKind;
  const v = k.view;
  const n = v.outer * v.maskSize * v.inner;
  const options = { keep: o.keep, stream: STREAM, accumulate: o.accumulate };
  return parityCase({
    name:
      `${kind} ${o.backward ? 'backward' : 'forward'} [${v.outer}, ${v.maskSize}, ${v.inner}] keep ${o.keep}` +
      `${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'random',
    arena: o.arena,
    inputs: (rng) => ({ rng: stateOf(rng), x: rng.f32(n), prior: rng.f32(n) }),
    // Read back as bit patterns: the prior's bits when accumulating, else poison.
    outputs: ({ prior }) => ({
      y: o.accumulate ? { initial: new Uint32Array(prior.buffer.slice(0)) } : { count: n, type: 'u32' as const },
    }),
    record: (rec, t) => {
      if (o.backward) k.backward(rec, { rng: t.rng, dy: t.x, dx: t.y }, options);
      else k.forward(rec, { rng: t.rng, x: t.x, y: t.y }, options);
    },
    reference: ({ rng, x, prior }) => {
      const y = dropoutBroadcastRef(x, rng, STREAM, v, o.keep);
      return { y: f32Bits(o.accumulate ? plusPrior(y, prior) : y) };
    },
  });
}

export const randomCases: ParityCase[] = [
  randomBitsCase,
  rngAdvanceCase,
  uniformFillCase(1001),
  uniformFillCase(6, true),
  dropoutCase('dropout', { backward: false, keep: 0.8 }),
  dropoutCase('dropout', { backward: true, keep: 0.5, accumulate: true, arena: true }),
  dropoutCase('variational', { backward: false, keep: 0.8, arena: true }),
  dropoutCase('variational', { backward: true, keep: 0.5 }),
  dropoutCase('dropPath', { backward: false, keep: 0.8 }),
  dropoutCase('dropPath', { backward: true, keep: 0.5, accumulate: true }),
  dropoutCase('broadcast', { backward: false, keep: 0.5 }),
  dropoutCase('broadcast', { backward: true, keep: 0.8 }),
];
