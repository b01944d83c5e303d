/**
 * Parity cases of src/ops/embedding: the gather y[t] = E[ids[t]] and its deterministic scatter-add gradient, in
 * one vocabulary block and in several (each invocation owns a column of a block of rows), writing or accumulating.
 */
import { type EmbeddingShape, embeddingBackward, embeddingGather } from '../../../src/ops/embedding/embedding.js';
import { embeddingBackwardRef, embeddingGatherRef } from '../../../src/ops/embedding/embedding.reference.js';
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

export const embeddingCases: ParityCase[] = [
  gatherCase(SHAPE),
  gatherCase(TOKENS, true),
  backwardCase(SHAPE, { rowBlocks: 1 }),
  backwardCase(SHAPE, { rowBlocks: 4, accumulate: true, arena: true }),
  // Most rows unused: the non-accumulating kernel must still zero them.
  backwardCase(TOKENS, { rowBlocks: 3 }),
];
