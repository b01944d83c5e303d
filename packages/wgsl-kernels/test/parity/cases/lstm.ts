/**
 * Parity cases of src/ops/lstm: the fused LSTM step (gate product and cell), the LSTM cell forward, and its backward with and without the next step's
 * dc, writing or accumulating.
 *
 * The backward reads the forward's c. Computing c on the CPU would need tanh and exp, whose last bit may differ
 * between the two runtimes' JavaScript engines (parity-case.ts), so the backward cases record the forward first
 * and feed it its own c; c and h are checked as outputs too.
 */
import { type LstmCellShape, lstmCell, lstmCellBackward } from '../../../src/ops/lstm/lstm-cell.js';
import { lstmCellBackwardRef, lstmCellRef } from '../../../src/ops/lstm/lstm-cell.reference.js';
import { type LstmStepShape, lstmStep } from '../../../src/ops/lstm/lstm-step.js';
import { lstmStepRef } from '../../../src/ops/lstm/lstm-step.reference.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

// The controller's cell is B = 1, H = 64..100; B = 3 and H = 37 give 111 cells, not a multiple of 64 threads.
const SHAPE: LstmCellShape = { B: 3, H: 37 };
const CONTROLLER: LstmCellShape = { B: 1, H: 64 };

const text = (s: LstmCellShape) => `B ${s.B} H ${s.H}`;
const n = (s: LstmCellShape) => s.B * s.H;

function forwardCase(s: LstmCellShape, arena = false) {
  return parityCase({
    name: `lstmCell ${text(s)}${arena ? ' (arena)' : ''}`,
    family: 'lstm',
    arena,
    // Pre-activations reach sigmoid's and tanh's flat tails.
    inputs: (rng) => ({ pre: rng.f32(4 * n(s), -6, 6), cPrev: rng.f32(n(s), -2, 2) }),
    outputs: () => ({ c: { count: n(s) }, h: { count: n(s) } }),
    record: (rec, t) => lstmCell(rec, { pre: t.pre, cPrev: t.cPrev, c: t.c, h: t.h }, s),
    reference: ({ pre, cPrev }) => lstmCellRef(pre, cPrev, s),
  });
}

function backwardCase(s: LstmCellShape, o: { dc: boolean; accumulate?: boolean; arena?: boolean }) {
  return parityCase({
    name: `lstmCell + lstmCellBackward ${text(s)}${o.dc ? ' with dc' : ' last step'}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'lstm',
    arena: o.arena,
    inputs: (rng) => ({
      pre: rng.f32(4 * n(s), -3, 3),
      cPrev: rng.f32(n(s), -2, 2),
      dh: rng.f32(n(s)),
      dc: rng.f32(n(s)),
      priorPre: rng.f32(4 * n(s)),
      priorCPrev: rng.f32(n(s)),
    }),
    outputs: ({ priorPre, priorCPrev }) => ({
      c: { count: n(s) },
      h: { count: n(s) },
      dPre: o.accumulate ? { initial: priorPre } : { count: 4 * n(s) },
      dcPrev: o.accumulate ? { initial: priorCPrev } : { count: n(s) },
    }),
    record: (rec, t) => {
      lstmCell(rec, { pre: t.pre, cPrev: t.cPrev, c: t.c, h: t.h }, s);
      lstmCellBackward(
        rec,
        { pre: t.pre, cPrev: t.cPrev, c: t.c, dh: t.dh, dc: o.dc ? t.dc : undefined, dPre: t.dPre, dcPrev: t.dcPrev },
        s,
        { accumulatePre: o.accumulate, accumulateCPrev: o.accumulate },
      );
    },
    reference: ({ pre, cPrev, dh, dc, priorPre, priorCPrev }) => {
      const g = lstmCellBackwardRef(pre, cPrev, dh, o.dc ? dc : undefined, s);
      return {
        ...lstmCellRef(pre, cPrev, s),
        dPre: o.accumulate ? plusPrior(g.dPre, priorPre) : g.dPre,
        dcPrev: o.accumulate ? plusPrior(g.dcPrev, priorCPrev) : g.dcPrev,
      };
    },
  });
}

function stepCase(s: LstmStepShape, arena = false) {
  const w = (s.Kx + s.H) * 4 * s.H;
  return parityCase({
    name: `lstmStep ${text(s)} Kx ${s.Kx}${arena ? ' (arena)' : ''}`,
    family: 'lstm',
    arena,
    inputs: (rng) => ({ x: rng.f32(s.B * s.Kx), hPrev: rng.f32(n(s)), w: rng.f32(w, -0.5, 0.5), cPrev: rng.f32(n(s), -2, 2) }),
    outputs: () => ({ pre: { count: 4 * n(s) }, c: { count: n(s) }, h: { count: n(s) } }),
    record: (rec, t) => lstmStep(rec, { x: t.x, hPrev: t.hPrev, w: t.w, cPrev: t.cPrev, pre: t.pre, c: t.c, h: t.h }, s),
    reference: ({ x, hPrev, w: weights, cPrev }) => lstmStepRef(x, hPrev, weights, cPrev, s),
  });
}

export const lstmCases: ParityCase[] = [
  stepCase({ ...CONTROLLER, Kx: 64 }),
  stepCase({ ...SHAPE, Kx: 11 }, true),
  forwardCase(SHAPE),
  forwardCase(CONTROLLER, true),
  backwardCase(SHAPE, { dc: true }),
  backwardCase(SHAPE, { dc: false }),
  backwardCase(CONTROLLER, { dc: true, accumulate: true, arena: true }),
];
