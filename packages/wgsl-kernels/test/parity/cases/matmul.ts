/**
 * Parity cases of src/ops/matmul: every variant × every transpose pair forward (with bias), batched and broadcast
 * products, accumulation, and the backward (dA, dB, dbias) for every transpose pair.
 */
import { type MatmulShape, type MatmulVariant, matmul, resolveMatmulShape } from '../../../src/ops/matmul/matmul.js';
import { matmulBackwardRef, matmulRef } from '../../../src/ops/matmul/matmul.reference.js';
import { matmulBackward } from '../../../src/ops/matmul/matmul-backward.js';
import { type ParityCase, parityCase } from '../parity-case.js';

const VARIANTS: MatmulVariant[] = ['tiled', 'tiled128', 'register', 'simple'];
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Element counts of A, B and C for a shape (strides and batches included). */
function sizes(shape: MatmulShape) {
  const s = resolveMatmulShape(shape);
  return {
    a: (s.batch - 1) * s.strideA + s.M * s.K,
    b: (s.batch - 1) * s.strideB + s.K * s.N,
    c: (s.batch - 1) * s.strideC + s.M * s.N,
  };
}

const tag = (s: MatmulShape) => `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;

function forwardCase(variant: MatmulVariant | undefined, shape: MatmulShape, extra: { arena?: boolean; accumulate?: boolean } = {}) {
  const n = sizes(shape);
  const name =
    `matmul ${variant ?? 'auto'} ${tag(shape)} ${shape.M}x${shape.N}x${shape.K}` +
    `${shape.batch ? ` batch ${shape.batch}` : ''}${shape.strideB === 0 ? ' broadcast B' : ''}` +
    `${extra.accumulate ? ' accumulate' : ''}${extra.arena ? ' (arena)' : ''}`;
  return parityCase({
    name,
    family: 'matmul',
    arena: extra.arena,
    inputs: (rng) => ({ a: rng.f32(n.a), b: rng.f32(n.b), bias: rng.f32(shape.N), prior: rng.f32(n.c) }),
    outputs: ({ prior }) => ({ c: extra.accumulate ? { initial: prior } : { count: n.c } }),
    record: (rec, t) => matmul(rec, { a: t.a, b: t.b, c: t.c, bias: t.bias }, shape, { variant, accumulate: extra.accumulate }),
    reference: ({ a, b, bias, prior }) => {
      const c = matmulRef(a, b, shape, bias);
      return { c: extra.accumulate ? c.map((v, i) => v + (prior[i] as number)) : c };
    },
  });
}

function backwardCase(shape: MatmulShape, extra: { arena?: boolean; accumulate?: boolean } = {}) {
  const n = sizes(shape);
  const name =
    `matmul backward ${tag(shape)} ${shape.M}x${shape.N}x${shape.K}` +
    `${shape.batch ? ` batch ${shape.batch}` : ''}${shape.strideB === 0 ? ' broadcast B' : ''}` +
    `${extra.accumulate ? ' accumulate' : ''}${extra.arena ? ' (arena)' : ''}`;
  return parityCase({
    name,
    family: 'matmul',
    arena: extra.arena,
    inputs: (rng) => ({
      a: rng.f32(n.a),
      b: rng.f32(n.b),
      dc: rng.f32(n.c),
      priorA: rng.f32(n.a),
      priorB: rng.f32(n.b),
      priorBias: rng.f32(shape.N),
    }),
    outputs: ({ priorA, priorB, priorBias }) =>
      extra.accumulate
        ? { da: { initial: priorA }, db: { initial: priorB }, dbias: { initial: priorBias } }
        : { da: { count: n.a }, db: { count: n.b }, dbias: { count: shape.N } },
    record: (rec, t) => matmulBackward(rec, { a: t.a, b: t.b, dc: t.dc, da: t.da, db: t.db, dbias: t.dbias }, shape, extra.accumulate),
    reference: ({ a, b, dc, priorA, priorB, priorBias }) => {
      const g = matmulBackwardRef(a, b, dc, shape);
      if (!extra.accumulate) return g;
      const plus = (x: Float64Array, p: ArrayLike<number>) => x.map((v, i) => v + (p[i] as number));
      return { da: plus(g.da, priorA), db: plus(g.db, priorB), dbias: plus(g.dbias, priorBias) };
    },
  });
}

// Not a multiple of any tile (64, 32, 16) in any dimension, so every edge path runs.
const ODD = { M: 67, N: 65, K: 19 };
// tiled128 binds vec4 operands: multiples of 4, but of no tile (128 × 128 × 8).
const VEC4_ODD = { M: 68, N: 132, K: 20 };

export const matmulCases: ParityCase[] = [
  ...VARIANTS.flatMap((variant) =>
    TRANSPOSES.map(([transA, transB]) => forwardCase(variant, { ...(variant === 'tiled128' ? VEC4_ODD : ODD), transA, transB })),
  ),
  forwardCase('register', { M: 20, N: 9, K: 12, batch: 3, strideB: 0 }),
  forwardCase('tiled', { M: 33, N: 70, K: 9, batch: 2, transB: true }, { accumulate: true }),
  // Two 128×128 tiles down and across, both ragged.
  forwardCase('tiled128', { M: 132, N: 260, K: 12, batch: 2, transA: true }, { accumulate: true }),
  forwardCase('register', { M: 40, N: 24, K: 16, transA: true }, { arena: true }),
  // The controller LSTM's shape: one row.
  forwardCase(undefined, { M: 1, N: 128, K: 64 }),
  ...TRANSPOSES.map(([transA, transB]) => backwardCase({ M: 33, N: 20, K: 18, batch: 2, transA, transB })),
  backwardCase({ M: 20, N: 9, K: 12, batch: 3, strideB: 0 }),
  backwardCase({ M: 17, N: 30, K: 11, transB: true }, { accumulate: true, arena: true }),
];
