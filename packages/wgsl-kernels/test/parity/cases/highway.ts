/**
 * Parity cases of src/ops/highway: the highway mix out = s + σ(t_pre) ⊙ (f(h_pre) − s) for every activation f of
 * the ENAS recurrent cell, forward and backward, in both layouts of `pre` (rows [B, 2H] and blocks [2, B, H]),
 * writing or accumulating the gradients.
 */

import { UNARY_OP_NAMES, type UnaryOp } from '../../../src/ops/elementwise/unary-ops.js';
import { type HighwayLayout, type HighwayShape, highway, highwayBackward } from '../../../src/ops/highway/highway.js';
import { highwayBackwardRef, highwayRef } from '../../../src/ops/highway/highway.reference.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

// 111 cells: not a multiple of the 64-thread workgroup.
const SHAPE: HighwayShape = { B: 3, H: 37 };
const n = SHAPE.B * SHAPE.H;

function forwardCase(activation: UnaryOp, layout: HighwayLayout, arena = false) {
  return parityCase({
    name: `highway ${activation} ${layout}${arena ? ' (arena)' : ''}`,
    family: 'highway',
    arena,
    inputs: (rng) => ({ pre: rng.f32(2 * n, -4, 4), s: rng.f32(n) }),
    outputs: () => ({ out: { count: n } }),
    record: (rec, t) => highway(rec, { pre: t.pre, s: t.s, out: t.out }, SHAPE, { activation, layout }),
    reference: ({ pre, s }) => ({ out: highwayRef(pre, s, SHAPE, activation, layout) }),
  });
}

function backwardCase(activation: UnaryOp, layout: HighwayLayout, o: { accumulate?: boolean; arena?: boolean } = {}) {
  return parityCase({
    name: `highwayBackward ${activation} ${layout}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'highway',
    arena: o.arena,
    inputs: (rng) => ({ pre: rng.f32(2 * n, -4, 4), s: rng.f32(n), dOut: rng.f32(n), priorPre: rng.f32(2 * n), priorS: rng.f32(n) }),
    outputs: ({ priorPre, priorS }) => ({
      dPre: o.accumulate ? { initial: priorPre } : { count: 2 * n },
      ds: o.accumulate ? { initial: priorS } : { count: n },
    }),
    record: (rec, t) =>
      highwayBackward(rec, { pre: t.pre, s: t.s, dOut: t.dOut, dPre: t.dPre, ds: t.ds }, SHAPE, {
        activation,
        layout,
        accumulatePre: o.accumulate,
        accumulateS: o.accumulate,
      }),
    reference: ({ pre, s, dOut, priorPre, priorS }) => {
      const g = highwayBackwardRef(pre, s, dOut, SHAPE, activation, layout);
      return { dPre: o.accumulate ? plusPrior(g.dPre, priorPre) : g.dPre, ds: o.accumulate ? plusPrior(g.ds, priorS) : g.ds };
    },
  });
}

// The activation is compiled into each pipeline: every one forward and backward; the layout is a uniform.
export const highwayCases: ParityCase[] = [
  ...UNARY_OP_NAMES.map((f, i) => forwardCase(f, i % 2 ? 'blocks' : 'rows')),
  forwardCase('tanh', 'blocks', true),
  ...UNARY_OP_NAMES.map((f, i) => backwardCase(f, i % 2 ? 'rows' : 'blocks')),
  backwardCase('sigmoid', 'rows', { accumulate: true, arena: true }),
];
