/**
 * The shared weights of the recurrent search space: one [H, 2H] matrix per (node j, function f, predecessor p),
 * j = 1..N, p = 0..j−1, f ∈ {tanh, ReLU, sigmoid, identity}, plus node 0's W_prev [2H, 2H] (enas_lm `child.py`
 * `_build_params`: `w_skip[j]` of shape [num_functions, j, H, 2H]). That is 4·N(N+1)/2 slots: 144 for N = 8,
 * 46 MB at H = 200.
 *
 * Each slot is its own tensor in the language model's ParameterGroup, so a sampled cell reads exactly its N slots
 * (`slot(node, func, prev)`) and nothing is gathered or copied when the cell changes. The optimizer still updates
 * the whole group each step; slots the cell did not use have a zero gradient and plain SGD leaves them as they are.
 */
import { Module, type ParameterGroup, type Tensor, uniform } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { RNN_FUNCS, type RnnArchitecture, type RnnFuncId } from '../arch/rnn.js';
import type { RnnCellWeights } from './cell-step.js';

export class RnnWeightPool extends Module implements RnnCellWeights {
  readonly wPrev: Tensor;
  /** slots[j − 1][f][p] */
  private readonly slots: Tensor[][][] = [];

  constructor(
    group: ParameterGroup,
    readonly hidden: number,
    readonly nodes: number,
    initRange: number,
    rng: Rng,
  ) {
    super();
    const H = hidden;
    const param = (name: string, shape: [number, number]) =>
      this.registerParameter(name, group.parameter(uniform(rng, shape[0] * shape[1], initRange), shape, `cell.${name}`));
    this.wPrev = param('w_prev', [2 * H, 2 * H]);
    for (let j = 1; j <= nodes; j++) {
      this.slots.push(RNN_FUNCS.map((f) => Array.from({ length: j }, (_, p) => param(`node_${j}.${f}.prev_${p}`, [H, 2 * H]))));
    }
  }

  /** The matrix node j uses when it reads node `prev` through `func`. */
  slot(node: number, func: RnnFuncId, prev: number): Tensor {
    const s = this.slots[node - 1]?.[func]?.[prev];
    if (!s) {
      throw new Error(
        `RnnWeightPool: no slot for node ${node}, function ${func}, predecessor ${prev}; ` +
          `nodes are 1..${this.nodes}, functions 0..${RNN_FUNCS.length - 1}, predecessors 0..node−1`,
      );
    }
    return s;
  }

  weight(node: number, func: RnnFuncId, prev: number): Tensor {
    return this.slot(node, func, prev);
  }

  /** The weights a cell reads: W_prev and its N slots. */
  usedWeights(arch: RnnArchitecture): Tensor[] {
    return [this.wPrev, ...arch.nodes.map((n, k) => this.slot(k + 1, n.func, n.prev))];
  }

  /** Number of slots (4·N(N+1)/2). */
  get slotCount(): number {
    return this.slots.reduce((s, byFunc) => s + byFunc.reduce((t, byPrev) => t + byPrev.length, 0), 0);
  }
}
