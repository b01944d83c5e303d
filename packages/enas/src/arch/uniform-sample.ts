/**
 * Architectures drawn uniformly from each space: the random-search baseline that ENAS papers compare against, and
 * property tests. `random` returns uniform numbers in [0, 1) (Math.random or a seeded generator).
 */
import { DEFAULT_MACRO_LAYERS, MACRO_OPS, type MacroArchitecture, type MacroLayer, type MacroOpId } from './macro.js';
import { DEFAULT_MICRO_NODES, MICRO_OPS, type MicroArchitecture, type MicroCell, type MicroOpId } from './micro.js';
import { DEFAULT_RNN_NODES, RNN_FUNCS, type RnnArchitecture, type RnnFuncId } from './rnn.js';

export type UniformRandom = () => number;

function below(random: UniformRandom, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

export function sampleMicroArchitecture(random: UniformRandom, nodes = DEFAULT_MICRO_NODES): MicroArchitecture {
  const cell = (): MicroCell =>
    Array.from({ length: nodes }, (_, j) => ({
      inputs: [below(random, j + 2), below(random, j + 2)] as const,
      ops: [below(random, MICRO_OPS.length) as MicroOpId, below(random, MICRO_OPS.length) as MicroOpId] as const,
    }));
  return { space: 'micro', normal: cell(), reduction: cell() };
}

/** Each skip is present with probability `skipProbability` (the controller's target rate is 0.4). */
export function sampleMacroArchitecture(random: UniformRandom, layers = DEFAULT_MACRO_LAYERS, skipProbability = 0.5): MacroArchitecture {
  const out: MacroLayer[] = Array.from({ length: layers }, (_, i) => ({
    op: below(random, MACRO_OPS.length) as MacroOpId,
    skips: Array.from({ length: i }, () => (random() < skipProbability ? 1 : 0) as 0 | 1),
  }));
  return { space: 'macro', layers: out };
}

export function sampleRnnArchitecture(random: UniformRandom, nodes = DEFAULT_RNN_NODES): RnnArchitecture {
  return {
    space: 'rnn',
    nodes: Array.from({ length: nodes }, (_, k) => ({ prev: below(random, k + 1), func: below(random, RNN_FUNCS.length) as RnnFuncId })),
  };
}
