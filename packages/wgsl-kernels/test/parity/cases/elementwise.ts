/**
 * Parity cases of src/ops/elementwise: every unary activation forward and backward, binary ops, mul backward, scale,
 * fill, and the two kernels that read a scalar from GPU memory (broadcastScalar, scaleByScalar).
 */
import { binary, broadcastScalar, fill, mulBackward, scale, scaleByScalar } from '../../../src/ops/elementwise/binary.js';
import { binaryRef, mulBackwardRef } from '../../../src/ops/elementwise/binary.reference.js';
import { unary, unaryBackward } from '../../../src/ops/elementwise/unary.js';
import { unaryBackwardRef, unaryRef } from '../../../src/ops/elementwise/unary.reference.js';
import { UNARY_OP_NAMES } from '../../../src/ops/elementwise/unary-ops.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

// Not a multiple of the 256-thread workgroup, so the bounds check of the last workgroup is exercised. A multiple
// of 4, so these take the vec4 programs; ODD takes the scalar ones.
const N = 1000;
const ODD = 1001;

const unaryCases = UNARY_OP_NAMES.flatMap((op) => [
  parityCase({
    name: `unary ${op} forward`,
    family: 'elementwise',
    // Past tanh's clamp (15) and deep into sigmoid's saturation.
    inputs: (rng) => ({ x: rng.f32(N, -20, 20) }),
    outputs: () => ({ y: { count: N } }),
    record: (rec, t) => unary(rec, op, t.x, t.y, N),
    reference: ({ x }) => ({ y: unaryRef(op, x) }),
  }),
  parityCase({
    name: `unary ${op} backward`,
    family: 'elementwise',
    // y is any value the derivative may read (tanh and sigmoid use y only); drawn, not computed, so both runtimes
    // see identical bits (see parity-case.ts).
    inputs: (rng) => ({ x: rng.f32(N, -3, 3), y: rng.f32(N, -1, 1), dy: rng.f32(N) }),
    outputs: () => ({ dx: { count: N } }),
    record: (rec, t) => unaryBackward(rec, op, { x: t.x, y: t.y, dy: t.dy, dx: t.dx }, N),
    reference: ({ x, y, dy }) => ({ dx: unaryBackwardRef(op, x, dy, y) }),
  }),
]);

const binaryCases = (['add', 'sub', 'mul'] as const).flatMap((op) =>
  [N, ODD].map((n) =>
    parityCase({
      name: `binary ${op}, ${n} elements`,
      family: 'elementwise',
      inputs: (rng) => ({ a: rng.f32(n), b: rng.f32(n) }),
      outputs: () => ({ y: { count: n } }),
      record: (rec, t) => binary(rec, op, t.a, t.b, t.y, n),
      reference: ({ a, b }) => ({ y: binaryRef(op, a, b) }),
    }),
  ),
);

export const elementwiseCases: ParityCase[] = [
  ...unaryCases,
  parityCase({
    name: 'unary tanh backward accumulate (arena)',
    family: 'elementwise',
    arena: true,
    inputs: (rng) => ({ x: rng.f32(N, -3, 3), y: rng.f32(N, -1, 1), dy: rng.f32(N), prior: rng.f32(N) }),
    outputs: ({ prior }) => ({ dx: { initial: prior } }),
    record: (rec, t) => unaryBackward(rec, 'tanh', { x: t.x, y: t.y, dy: t.dy, dx: t.dx }, N, true),
    reference: ({ x, y, dy, prior }) => ({ dx: unaryBackwardRef('tanh', x, dy, y).map((g, i) => g + (prior[i] as number)) }),
  }),
  ...binaryCases,
  parityCase({
    name: 'binary mul accumulate (arena)',
    family: 'elementwise',
    arena: true,
    inputs: (rng) => ({ a: rng.f32(N), b: rng.f32(N), prior: rng.f32(N) }),
    outputs: ({ prior }) => ({ y: { initial: prior } }),
    record: (rec, t) => binary(rec, 'mul', t.a, t.b, t.y, N, true),
    reference: ({ a, b, prior }) => ({ y: binaryRef('mul', a, b).map((v, i) => v + (prior[i] as number)) }),
  }),
  parityCase({
    name: 'mul backward',
    family: 'elementwise',
    inputs: (rng) => ({ a: rng.f32(N), b: rng.f32(N), dy: rng.f32(N) }),
    outputs: () => ({ da: { count: N }, db: { count: N } }),
    record: (rec, t) => mulBackward(rec, { a: t.a, b: t.b, dy: t.dy, da: t.da, db: t.db }, N),
    reference: ({ a, b, dy }) => mulBackwardRef(a, b, dy),
  }),
  parityCase({
    name: 'scale',
    family: 'elementwise',
    inputs: (rng) => ({ x: rng.f32(N) }),
    outputs: () => ({ y: { count: N } }),
    record: (rec, t) => scale(rec, t.x, t.y, N, -0.37),
    reference: ({ x }) => ({ y: Float64Array.from(x, (v) => -0.37 * v) }),
  }),
  parityCase({
    name: 'scale accumulate',
    family: 'elementwise',
    inputs: (rng) => ({ x: rng.f32(N), prior: rng.f32(N) }),
    outputs: ({ prior }) => ({ y: { initial: prior } }),
    record: (rec, t) => scale(rec, t.x, t.y, N, 2.5, true),
    reference: ({ x, prior }) => ({ y: Float64Array.from(x, (v, i) => (prior[i] as number) + 2.5 * v) }),
  }),
  parityCase({
    name: 'fill',
    family: 'elementwise',
    inputs: () => ({}),
    outputs: () => ({ y: { count: N } }),
    record: (rec, t) => fill(rec, t.y, N, 0.625),
    reference: () => ({ y: new Float64Array(N).fill(0.625) }),
  }),
  parityCase({
    name: 'broadcastScalar accumulate',
    family: 'elementwise',
    inputs: (rng) => ({ x: rng.f32(1), prior: rng.f32(N) }),
    outputs: ({ prior }) => ({ y: { initial: prior } }),
    record: (rec, t) => broadcastScalar(rec, t.x, t.y, N, -1.5, true),
    reference: ({ x, prior }) => ({ y: plusPrior(new Float64Array(N).fill(-1.5 * (x[0] as number)), prior) }),
  }),
  parityCase({
    name: 'scaleByScalar',
    family: 'elementwise',
    inputs: (rng) => ({ x: rng.f32(N), s: rng.f32(1, 0.5, 2) }),
    outputs: () => ({ y: { count: N } }),
    record: (rec, t) => scaleByScalar(rec, t.x, t.s, t.y, N),
    reference: ({ x, s }) => ({ y: Float64Array.from(x, (v) => v * (s[0] as number)) }),
  }),
  parityCase({
    name: 'scaleByScalar accumulate (arena)',
    family: 'elementwise',
    arena: true,
    inputs: (rng) => ({ x: rng.f32(N), s: rng.f32(1, -2, -0.5), prior: rng.f32(N) }),
    outputs: ({ prior }) => ({ y: { initial: prior } }),
    record: (rec, t) => scaleByScalar(rec, t.x, t.s, t.y, N, true),
    reference: ({ x, s, prior }) => ({
      y: plusPrior(
        Float64Array.from(x, (v) => v * (s[0] as number)),
        prior,
      ),
    }),
  }),
];
