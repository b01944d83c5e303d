/**
 * What a CIFAR search space plugs into the search loop (search/cnn-search.ts): a shared network over a weight
 * pool, and a controller that samples its architectures on the GPU. The micro space implements it in
 * micro/space.ts, the macro space in macro/space.ts.
 */
import type { Module, ParameterGroup, Tensor } from '@enas-webgpu/autograd';
import type { CnnOutput } from '../micro/search-network.js';

/** A controller pass's loss terms (replay mode): Σ −log p of the decisions, and optional penalties. */
export interface ControllerLoss {
  /** Σ −log p(decisions), one element, with gradients. */
  negLogProb: Tensor;
  /** Added to the controller loss as is (already weighted), e.g. the macro space's skip penalty. */
  penalty?: Tensor;
}

/**
 * What a sampling pass leaves on the GPU for the search loop (DecisionLog for the micro controller, RowDecisionLog
 * for the macro one): the architecture's words to read back, and the sums the reward and the logs use.
 */
export interface ArchitectureLog {
  /** u32 words that `architectureFromWords` decodes. */
  readonly packedIndices: Tensor;
  /** Σ entropy of the pass's decisions, one element. */
  readonly entropySum: Tensor;
  /** Σ log p of the pass's decisions as the sampler computed them, one element. */
  readonly logProbSum: Tensor;
}

export interface ArchitectureController<A> extends Module {
  readonly group: ParameterGroup;
  readonly log: ArchitectureLog;
  /** 'sample': draw a fresh architecture into the log (no tape). 'replay': recompute the logged one with gradients. */
  run(mode: 'sample'): undefined;
  run(mode: 'replay'): ControllerLoss;
  /** The architecture encoded by the read-back decision log (`log.packedIndices`). */
  architectureFromWords(words: ArrayLike<number>): A;
}

export interface SearchNetwork<A> {
  readonly group: ParameterGroup;
  forward(x: Tensor, arch: A, training: boolean): CnnOutput<Tensor>;
  /** Persistent non-trainable tensors (BN running averages), by checkpoint name. */
  namedBuffers(): [string, Tensor][];
  /** Trainable tensors by checkpoint name (the weight pool's slots). */
  namedParameters(): [string, Tensor][];
}

export interface CnnSearchSpace<A> {
  readonly name: 'micro' | 'macro';
  readonly network: SearchNetwork<A>;
  readonly controller: ArchitectureController<A>;
  print(arch: A): string;
}
