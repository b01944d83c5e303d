/**
 * Parity cases of src/ops/embedding: the gather y[t] = E[ids[t]] and its deterministic scatter-add gradient, in
 * one vocabulary block and in several (each invocation owns a column of a block of rows), writing or accumulating;
 * the masked mean of rows (the macro controller's skip-anchor average) and its gradient.
 */
import { type EmbeddingShape, embeddingBackward, embeddingGather } from '../../../src/ops/embedding/embedding.js';
import { embeddingBackwardRef, embeddingGatherRef } from '../../../src/ops/embedding/embedding.reference.js';
import { type MaskedMeanShape, maskedMean, maskedMeanBackward } from '../../../src/ops/embedding/masked-mean.js';
import { maskedMeanBackwardRef, maskedMeanRef } from '../../../src/ops/embedding/masked-mean.reference.js';
import type { Rng } from '../../../src/util/rng.js';
import { type ParityCase, parityCase, plusPrior } from '../parity-case.js';

// T > V, so ids repeat and the gradient sums several rows into one; D is no multiple of the 64-thread workgroup.
const SHAPE: EmbeddingShape = { V: 13, D: 70, T: 20 };
const TOKENS: EmbeddingShape = { V: 50, D: 6, T: 9 };

const text = (s: EmbeddingShape) => `V ${s.V} D ${s.D} T ${s.T}`;
const idsOf = (rng: Rng, s: EmbeddingShape) => Uint32Array.from({ length: s.T }, () => rng.int(0, s.V - 1));

function gatherCase(s: EmbeddingShape, arena = false) {
  return parityCase({
    name: `embeddingGather ${text(s)}${arena ? ' (arena)' : ''}`,
    family: 'embedding',
    arena,
    inputs: (rng) => ({ table: rng.f32(s.V * s.D), ids: idsOf(rng, s) }),
    outputs: () => ({ y: { count: s.T * s.D } }),
    record: (rec, t) => embeddingGather(rec, { table: t.table, ids: t.ids, y: t.y }, s),
    reference: ({ table, ids }) => ({ y: embeddingGatherRef(table, ids, s) }),
  });
}

function backwardCase(s: EmbeddingShape, o: { rowBlocks: number; accumulate?: boolean; arena?: boolean }) {
  return parityCase({
    name: `embeddingBackward ${text(s)} rowBlocks ${o.rowBlocks}${o.accumulate ? ' accumulate' : ''}${o.arena ? ' (arena)' : ''}`,
    family: 'embedding',
    arena: o.arena,
    inputs: (rng) => ({ ids: idsOf(rng, s), dy: rng.f32(s.T * s.D), prior: rng.f32(s.V * s.D) }),
    outputs: ({ prior }) => ({ dTable: o.accumulate ? { initial: prior } : { count: s.V * s.D } }),
    record: (rec, t) => embeddingBackward(rec, { ids: t.ids, dy: t.dy, dTable: t.dTable }, s, o),
    reference: ({ ids, dy, prior }) => {
      const d = embeddingBackwardRef(ids, dy, s);
      return { dTable: o.accumulate ? plusPrior(d, prior) : d };
    },
  });
}

// Six candidate rows (earlier layers), D not a multiple of the 64-thread workgroup; a mask selecting some of them.
const ANCHORS: MaskedMeanShape = { B: 6, D: 100 };
const MASK = Uint32Array.of(1, 0, 0, 1, 1, 0);
const NO_SKIP = new Uint32Array(ANCHORS.B);

function maskedMeanCase(mask: Uint32Array, extra: number, arena = false) {
  return parityCase({
    name: `maskedMean B ${ANCHORS.B} D ${ANCHORS.D} mask ${mask.join('')} extra ${extra}${arena ? ' (arena)' : ''}`,
    family: 'embedding',
    arena,
    inputs: (rng) => ({ rows: rng.f32(ANCHORS.B * ANCHORS.D), mask: mask.slice() }),
    outputs: () => ({ y: { count: ANCHORS.D } }),
    record: (rec, t) => maskedMean(rec, { rows: t.rows, mask: t.mask, y: t.y }, ANCHORS, { extra }),
    reference: ({ rows, mask: m }) => ({ y: maskedMeanRef(rows, m, ANCHORS, extra) }),
  });
}

function maskedMeanBackwardCase(extra: number, accumulate: boolean, arena = false) {
  return parityCase({
    name: `maskedMeanBackward B ${ANCHORS.B} D ${ANCHORS.D} mask ${MASK.join('')} extra ${extra}${accumulate ? ' accumulate' : ''}${arena ? ' (arena)' : ''}`,
    family: 'embedding',
    arena,
    inputs: (rng) => ({ mask: MASK.slice(), dy: rng.f32(ANCHORS.D), prior: rng.f32(ANCHORS.B * ANCHORS.D) }),
    outputs: ({ prior }) => ({ dRows: accumulate ? { initial: prior } : { count: ANCHORS.B * ANCHORS.D } }),
    record: (rec, t) => maskedMeanBackward(rec, { mask: t.mask, dy: t.dy, dRows: t.dRows }, ANCHORS, { extra, accumulate }),
    reference: ({ mask, dy, prior }) => {
      const d = maskedMeanBackwardRef(mask, dy, ANCHORS, extra);
      return { dRows: accumulate ? plusPrior(d, prior) : d };
    },
  });
}

export const embeddingCases: ParityCase[] = [
  gatherCase(SHAPE),
  gatherCase(TOKENS, true),
  backwardCase(SHAPE, { rowBlocks: 1 }),
  backwardCase(SHAPE, { rowBlocks: 4, accumulate: true, arena: true }),
  // Most rows unused: the non-accumulating kernel must still zero them.
  backwardCase(TOKENS, { rowBlocks: 3 }),
  // The macro controller's average (extra 1), a plain mean, and no row selected with extra 0 (written as 0).
  maskedMeanCase(MASK, 1),
  maskedMeanCase(MASK, 0, true),
  maskedMeanCase(NO_SKIP, 0),
  maskedMeanBackwardCase(1, false),
  maskedMeanBackwardCase(0, true, true),
];
