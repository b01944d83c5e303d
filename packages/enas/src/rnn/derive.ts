/**
 * Deriving the final cell: sample N cells from the trained controller, score each with the shared weights on the
 * same validation batch (zero initial state, no dropout) and keep the lowest loss. The official LM code has no
 * derive step (its authors picked cells from the logs); this is the rule of the other implementations
 * (carpedm20/ENAS-pytorch `derive()`: 100 samples, max reward on one validation batch; reference notes a.4).
 */
import { printRnnArchitecture, type RnnArchitecture } from '../arch/rnn.js';
import type { BpttWindow } from '../data/token-batches.js';
import type { RnnLanguageModel } from './language-model.js';
import type { SampledCells } from './sampled-cells.js';

export interface RnnCandidate {
  readonly architecture: RnnArchitecture;
  /** The official arc string, `prev func prev func ...`. */
  readonly arc: string;
  /** Mean cross-entropy on the validation batch. */
  readonly loss: number;
  readonly perplexity: number;
}

export interface RnnDeriveResult extends RnnCandidate {
  /** Every sampled cell, best first. */
  readonly candidates: readonly RnnCandidate[];
}

export async function deriveRnnCell(lm: RnnLanguageModel, cells: SampledCells, batch: BpttWindow, samples = 100): Promise<RnnDeriveResult> {
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`deriveRnnCell: samples = ${samples}; it must be a positive integer`);
  const engine = lm.engine;
  const zero = lm.state('zero', batch.x.length / batch.steps);
  const scored = await cells.map(samples, (step, architecture) => {
    const loss = engine.noGrad(() => lm.forward(batch, zero, architecture, false).loss);
    return step.read(loss).then((v): RnnCandidate => {
      const l = v[0] as number;
      return { architecture, arc: printRnnArchitecture(architecture), loss: l, perplexity: Math.exp(l) };
    });
  });
  const candidates = scored.sort((a, b) => a.loss - b.loss);
  return { ...(candidates[0] as RnnCandidate), candidates };
}
