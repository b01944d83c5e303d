/**
 * Parity cases of src/ops/pool: max pooling (with and without argmax, which must match exactly) and its backward,
 * average pooling (3×3 'same' at strides 1 and 2, excluding padding; 5×5 stride 3 'valid', the auxiliary head) and
 * its backward, global average pooling and its backward. Window size and stride are uniforms, so the shapes cost
 * no extra pipelines.
 */
import { avgPool2d } from '../../../src/ops/pool/avg-pool.js';
import { avgPool2dBackwardRef, avgPool2dRef } from '../../../src/ops/pool/avg-pool.reference.js';
import { avgPool2dBackward } from '../../../src/ops/pool/avg-pool-backward.js';
import { type GlobalAvgPoolShape, globalAvgPool, globalAvgPoolBackward } from '../../../src/ops/pool/global-avg-pool.js';
import { globalAvgPoolBackwardRef, globalAvgPoolRef } from '../../../src/ops/pool/global-avg-pool.reference.js';
import { maxPool2d } from '../../../src/ops/pool/max-pool.js';
import { maxPool2dBackwardRef, maxPool2dRef } from '../../../src/ops/pool/max-pool.reference.js';
import { maxPool2dBackward } from '../../../src/ops/pool/max-pool-backward.js';
import { type Pool2dShape, pool2dOutputShape } from '../../../src/ops/pool/pool-geometry.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

interface Extra {
  readonly accumulate?: boolean;
  readonly arena?: boolean;
}

function sizes(s: Pool2dShape) {
  const [N, C, Hout, Wout] = pool2dOutputShape(s);
  return { x: s.N * s.C * s.H * s.W, y: N * C * Hout * Wout };
}

const text = (s: Pool2dShape) => `${s.N}x${s.C}x${s.H}x${s.W} k${s.kernelSize} s${s.stride} ${s.padding}`;
const suffix = (e: Extra) => `${e.accumulate ? ' accumulate' : ''}${e.arena ? ' (arena)' : ''}`;

function maxPoolCase(s: Pool2dShape, withArgmax: boolean, e: Extra = {}) {
  const n = sizes(s);
  return parityCase({
    name: `maxPool2d ${text(s)}${withArgmax ? ' argmax' : ''}${suffix(e)}`,
    family: 'pool',
    arena: e.arena,
    inputs: (rng) => ({ x: rng.f32(n.x) }),
    outputs: () => ({ y: { count: n.y }, argmax: { count: n.y, type: 'u32' as const } }),
    record: (rec, t) => {
      maxPool2d(rec, { x: t.x, y: t.y, argmax: withArgmax ? t.argmax : undefined }, s);
    },
    reference: ({ x }) => {
      const r = maxPool2dRef(x, s);
      // Without argmax the kernel must leave that buffer alone: it keeps its poison (all bits set).
      return { y: r.y, argmax: withArgmax ? r.argmax : new Uint32Array(n.y).fill(0xffffffff) };
    },
  });
}

/** argmax is the forward's (computed on the CPU: comparisons only, so identical in both runtimes). */
function maxPoolBackwardCase(s: Pool2dShape, e: Extra = {}) {
  const n = sizes(s);
  return parityCase({
    name: `maxPool2dBackward ${text(s)}${suffix(e)}`,
    family: 'pool',
    arena: e.arena,
    inputs: (rng) => {
      const x = rng.f32(n.x);
      return { argmax: maxPool2dRef(x, s).argmax, dy: rng.f32(n.y), prior: rng.f32(n.x) };
    },
    outputs: ({ prior }) => ({ dx: e.accumulate ? { initial: prior } : { count: n.x } }),
    record: (rec, t) => maxPool2dBackward(rec, { dy: t.dy, argmax: t.argmax, dx: t.dx }, s, e.accumulate),
    reference: ({ argmax, dy, prior }) => {
      const dx = maxPool2dBackwardRef(dy, argmax, s);
      return { dx: e.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

function avgPoolCase(s: Pool2dShape, e: Extra = {}) {
  const n = sizes(s);
  return parityCase({
    name: `avgPool2d ${text(s)}${suffix(e)}`,
    family: 'pool',
    arena: e.arena,
    inputs: (rng) => ({ x: rng.f32(n.x) }),
    outputs: () => ({ y: { count: n.y } }),
    record: (rec, t) => avgPool2d(rec, { x: t.x, y: t.y }, s),
    reference: ({ x }) => ({ y: avgPool2dRef(x, s) }),
  });
}

function avgPoolBackwardCase(s: Pool2dShape, e: Extra = {}) {
  const n = sizes(s);
  return parityCase({
    name: `avgPool2dBackward ${text(s)}${suffix(e)}`,
    family: 'pool',
    arena: e.arena,
    inputs: (rng) => ({ dy: rng.f32(n.y), prior: rng.f32(n.x) }),
    outputs: ({ prior }) => ({ dx: e.accumulate ? { initial: prior } : { count: n.x } }),
    record: (rec, t) => avgPool2dBackward(rec, { dy: t.dy, dx: t.dx }, s, e.accumulate),
    reference: ({ dy, prior }) => {
      const dx = avgPool2dBackwardRef(dy, s);
      return { dx: e.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

function globalAvgPoolCase(s: GlobalAvgPoolShape) {
  return parityCase({
    name: `globalAvgPool ${s.N}x${s.C}x${s.H}x${s.W}`,
    family: 'pool',
    inputs: (rng) => ({ x: rng.f32(s.N * s.C * s.H * s.W) }),
    outputs: () => ({ y: { count: s.N * s.C } }),
    record: (rec, t) => globalAvgPool(rec, { x: t.x, y: t.y }, s),
    reference: ({ x }) => ({ y: globalAvgPoolRef(x, s) }),
  });
}

function globalAvgPoolBackwardCase(s: GlobalAvgPoolShape, e: Extra = {}) {
  const n = s.N * s.C * s.H * s.W;
  return parityCase({
    name: `globalAvgPoolBackward ${s.N}x${s.C}x${s.H}x${s.W}${suffix(e)}`,
    family: 'pool',
    arena: e.arena,
    inputs: (rng) => ({ dy: rng.f32(s.N * s.C), prior: rng.f32(n) }),
    outputs: ({ prior }) => ({ dx: e.accumulate ? { initial: prior } : { count: n } }),
    record: (rec, t) => globalAvgPoolBackward(rec, { dy: t.dy, dx: t.dx }, s, e.accumulate),
    reference: ({ dy, prior }) => {
      const dx = globalAvgPoolBackwardRef(dy, s);
      return { dx: e.accumulate ? plusPrior(dx, prior) : dx };
    },
  });
}

// The ENAS search cell's pool (3×3 stride 1 'same'), stride 2 on odd sizes (the extra padding row/column after),
// an input smaller than the window, and the auxiliary head's 5×5 stride 3 'valid' with a tail no window covers.
const SAME_S1: Pool2dShape = { N: 2, C: 3, H: 6, W: 5, kernelSize: 3, stride: 1, padding: 'same' };
const SAME_S2_ODD: Pool2dShape = { N: 2, C: 2, H: 7, W: 5, kernelSize: 3, stride: 2, padding: 'same' };
const SMALLER_THAN_WINDOW: Pool2dShape = { N: 2, C: 1, H: 2, W: 3, kernelSize: 3, stride: 2, padding: 'same' };
const AUX_HEAD: Pool2dShape = { N: 2, C: 2, H: 9, W: 8, kernelSize: 5, stride: 3, padding: 'valid' };
// 67 = 64 + 3 elements per plane: more than one pass of the 64-thread reduction, with a remainder.
const GLOBAL: GlobalAvgPoolShape = { N: 2, C: 3, H: 67, W: 1 };
const GLOBAL_8x8: GlobalAvgPoolShape = { N: 3, C: 5, H: 8, W: 8 };

export const poolCases: ParityCase[] = [
  maxPoolCase(SAME_S1, false),
  maxPoolCase(SAME_S1, true),
  maxPoolCase(SAME_S2_ODD, true, { arena: true }),
  maxPoolCase(SMALLER_THAN_WINDOW, true),
  maxPoolBackwardCase(SAME_S1),
  maxPoolBackwardCase(SAME_S2_ODD, { accumulate: true, arena: true }),
  avgPoolCase(SAME_S1),
  avgPoolCase(SAME_S2_ODD, { arena: true }),
  avgPoolCase(AUX_HEAD),
  avgPoolBackwardCase(SAME_S2_ODD),
  avgPoolBackwardCase(AUX_HEAD, { accumulate: true, arena: true }),
  globalAvgPoolCase(GLOBAL),
  globalAvgPoolCase(GLOBAL_8x8),
  globalAvgPoolBackwardCase(GLOBAL_8x8),
  globalAvgPoolBackwardCase(GLOBAL, { accumulate: true, arena: true }),
];
