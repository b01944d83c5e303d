/**
 * The weights of one fixed cell, for training a derived architecture from scratch (enas_lm `fixed_lib.py`
 * `_build_params`: W_prev [2H, 2H] and one [H, 2H] matrix `layer_<j>/w` per searched node). Asking for any other
 * (function, predecessor) than the cell's is a bug and throws.
 */
import { Module, type ParameterGroup, type Tensor, uniform } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { RNN_FUNCS, type RnnArchitecture, type RnnFuncId, validateRnnArchitecture } from '../arch/rnn.js';
import type { RnnCellWeights } from './cell-step.js';

export class FixedRnnCellWeights extends Module implements RnnCellWeights {
  readonly wPrev: Tensor;
  readonly nodeWeights: readonly Tensor[];
  readonly nodes: number;

  constructor(
    group: ParameterGroup,
    readonly architecture: RnnArchitecture,
    hidden: number,
    initRange: number,
    rng: Rng,
  ) {
    super();
    validateRnnArchitecture(architecture);
    const H = hidden;
    this.nodes = architecture.nodes.length;
    const param = (name: string, shape: [number, number]) =>
      this.registerParameter(name, group.parameter(uniform(rng, shape[0] * shape[1], initRange), shape, `cell.${name}`));
    this.wPrev = param('w_prev', [2 * H, 2 * H]);
    this.nodeWeights = architecture.nodes.map((_, k) => param(`node_${k + 1}.w`, [H, 2 * H]));
  }

  weight(node: number, func: RnnFuncId, prev: number): Tensor {
    const own = this.architecture.nodes[node - 1];
    if (!own || own.func !== func || own.prev !== prev) {
      const wanted = `node ${node} reading node ${prev} through ${RNN_FUNCS[func] ?? func}`;
      const has = own ? `node ${node} reads node ${own.prev} through ${RNN_FUNCS[own.func]}` : `it has nodes 1..${this.nodes}`;
      throw new Error(`FixedRnnCellWeights: ${wanted} is not part of this fixed cell (${has}); run it with its own architecture`);
    }
    return this.nodeWeights[node - 1] as Tensor;
  }
}
