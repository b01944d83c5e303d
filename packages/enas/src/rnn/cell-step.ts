/**
 * One time step of the ENAS recurrent cell (enas_lm `child.py` / `fixed_lib.py` `_rnn_fn`; reference notes a.1).
 * With m_x, m_l the window's input and state dropout masks (absent when evaluating):
 *
 *   node 0   [h, t] = [x_t ⊙ m_x, s_{t−1} ⊙ m_l] · W_prev        s_0 = s_{t−1} + σ(t) ⊙ (tanh(h) − s_{t−1})
 *   node j   [h, t] = (s_p ⊙ m_l) · W[j][f][p]                    s_j = s_p + σ(t) ⊙ (f(h) − s_p)
 *   output   s_t = mean of s_1..s_N (or of the loose ends): both the output and the next state
 *
 * Node 0's activation is a fixed tanh ("important change: first input uses a tanh()"); only nodes 1..N are searched.
 * The caller passes x_t with m_x already applied (the whole window's input is masked at once).
 *
 * Each node of each time step computes in its own arena scope (`rnn.t<t>.node<j>`, see rnnScope), so its
 * temporaries and their gradients sit at the same offsets whatever cell was sampled and however long the window
 * is: switching cells binds other weight slots and nothing else, and the kernels' bind groups are found in the
 * cache instead of being created (with one scope per node for all steps, the gradients, allocated after every
 * forward value, would move with the window length). The state mask is applied in the consumer's scope (every
 * node masks its own input), which keeps each scope's allocations the same for every architecture at the price of
 * a repeated [B, H] multiply when two nodes read the same predecessor.
 */
import { add, concatChannels, type Engine, highway, matmul, mul, scale, type Tensor } from '@enas-webgpu/autograd';
import { RNN_FUNCS, type RnnArchitecture, type RnnFuncId, rnnLooseEnds } from '../arch/rnn.js';
import type { RnnCellOutput } from './config.js';

/** Where a cell's weights come from: the shared pool of the search, or a fixed cell's own matrices. */
export interface RnnCellWeights {
  /** Searched nodes N. */
  readonly nodes: number;
  /** Node 0's [2H, 2H] (rows: x then h; columns: h then t, the official `tf.split` order). */
  readonly wPrev: Tensor;
  /** The [H, 2H] matrix node j (1..N) uses when it reads node `prev` through activation `func`. */
  weight(node: number, func: RnnFuncId, prev: number): Tensor;
}

export interface RnnCellStepInput {
  /** The time step t (names the arena scopes). */
  readonly time: number;
  /** x_t ⊙ m_x, [B, H]. */
  readonly x: Tensor;
  /** s_{t−1}, [B, H]. */
  readonly sPrev: Tensor;
  /** m_l [B, H] (0 or 1/keep), or undefined without state dropout. */
  readonly stateMask?: Tensor;
}

/** The arena scope of node j (0..N) at time step t; j = N + 1 is the output mean. */
export function rnnScope(t: number, j: number): string {
  return `rnn.t${t}.node${j}`;
}

/** The nodes averaged into the output (1-based node numbers). */
export function rnnOutputNodes(arch: RnnArchitecture, output: RnnCellOutput): number[] {
  return output === 'looseEnds' ? rnnLooseEnds(arch) : arch.nodes.map((_, k) => k + 1);
}

export function rnnCellStep(
  engine: Engine,
  arch: RnnArchitecture,
  weights: RnnCellWeights,
  input: RnnCellStepInput,
  output: RnnCellOutput,
): Tensor {
  if (arch.nodes.length !== weights.nodes) {
    throw new Error(`rnnCellStep: the architecture has ${arch.nodes.length} nodes but the cell weights are for ${weights.nodes}`);
  }
  const masked = (s: Tensor) => (input.stateMask ? mul(s, input.stateMask) : s);
  const states: Tensor[] = [
    engine.scope(rnnScope(input.time, 0), () => {
      const [B, H] = input.sPrev.shape as [number, number];
      const xh = concatChannels([input.x.reshape([B, H, 1, 1]), masked(input.sPrev).reshape([B, H, 1, 1])]).reshape([B, 2 * H]);
      return highway(matmul(xh, weights.wPrev), input.sPrev, 'tanh');
    }),
  ];
  arch.nodes.forEach((node, k) => {
    const j = k + 1;
    states.push(
      engine.scope(rnnScope(input.time, j), () => {
        const sp = states[node.prev] as Tensor;
        return highway(matmul(masked(sp), weights.weight(j, node.func, node.prev)), sp, RNN_FUNCS[node.func]);
      }),
    );
  });
  return engine.scope(rnnScope(input.time, arch.nodes.length + 1), () => {
    const picked = rnnOutputNodes(arch, output).map((j) => states[j] as Tensor);
    let sum = picked[0] as Tensor;
    for (let i = 1; i < picked.length; i++) sum = add(sum, picked[i] as Tensor);
    return picked.length === 1 ? sum : scale(sum, 1 / picked.length);
  });
}
