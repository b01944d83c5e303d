/**
 * The ENAS language model (enas_lm `child.py` `LM._forward`, `fixed_lib.py`): a word embedding E [V, H] that is
 * also the softmax weight (tied, so embedding size = hidden size, no softmax bias), the recurrent cell unrolled over
 * a window, and the reference's five dropouts. With the window's tokens time-major:
 *
 *   table   = E with whole rows dropped (drop_e)                      fresh each window
 *   x       = table[ids] ⊙ m_i ⊙ m_x, [T, B, H]                      m_i (drop_i), m_x (drop_x): one [B, H] mask each, shared over time
 *   s_t     = cell(x_t, s_{t−1}; m_l)                                 m_l (drop_l): one [B, H] mask, every node, every step
 *   logits  = (S ⊙ m_o) · Eᵀ,  loss = mean cross-entropy             m_o (drop_o): variational
 *
 * Training a window is one engine step, so masks drawn once per step are masks per window, as in the reference
 * (its masks are ops of the per-window graph). The active dropouts draw their RNG streams in the order listed above
 * (rows, embedding output, cell input, state, output), after any random op recorded earlier in the step.
 *
 * The same class runs the search (cell = the shared RnnWeightPool, a new architecture every call) and a fixed cell
 * (its own weights); only where the cell's matrices come from differs.
 */
import {
  add,
  crossEntropy,
  dropout,
  dropPath,
  type Engine,
  embedding,
  Module,
  matmul,
  mean,
  mul,
  type ParameterGroup,
  scale,
  sub,
  sum,
  type Tensor,
  uniform,
  variationalDropout,
} from '@enas-webgpu/autograd';
import { type Rng, scale as scaleKernel } from '@enas-webgpu/wgsl-kernels';
import type { RnnArchitecture } from '../arch/rnn.js';
import type { BpttWindow } from '../data/token-batches.js';
import { rnnCellStep, rnnScope } from './cell-step.js';
import { checkRnnModelConfig, NO_DROPOUT, type RnnModelConfig, type RnnTrainConfig } from './config.js';
import { FixedRnnCellWeights } from './fixed-cell.js';
import { freshParameterGroup } from './model-state.js';
import { stackSteps, timeSlice, timeStep } from './sequence.js';
import { RnnWeightPool } from './weight-pool.js';

export interface RnnLmForward {
  /** Mean cross-entropy over the window's T·B predictions ([1]). */
  readonly loss: Tensor;
  /** Cell outputs [T, B, H] before the output dropout (what the activation regularisers see). */
  readonly outputs: Tensor;
  /** s_T [B, H]: the state the next window starts from. */
  readonly finalState: Tensor;
}

export class RnnLanguageModel extends Module {
  readonly group: ParameterGroup;
  /** E [V, H]: the embedding and the softmax weights. */
  readonly embedding: Tensor;
  readonly cell: RnnWeightPool | FixedRnnCellWeights;
  private readonly ones = new Map<number, Tensor>();
  private readonly states = new Map<string, Tensor>();

  /**
   * `cell`: 'shared' for the search's weight pool, or the architecture of a fixed cell. `name` names the parameter
   * group (one per model in an engine).
   */
  constructor(
    readonly engine: Engine,
    readonly config: RnnModelConfig,
    cell: 'shared' | RnnArchitecture,
    rng: Rng,
    name = 'rnn-lm',
  ) {
    super();
    checkRnnModelConfig(config);
    const { vocabSize: V, hidden: H, initRange } = config;
    this.group = freshParameterGroup(engine, name);
    this.embedding = this.registerParameter('embedding.w', this.group.parameter(uniform(rng, V * H, initRange), [V, H], 'embedding.w'));
    if (cell === 'shared') {
      this.cell = this.registerModule('cell', new RnnWeightPool(this.group, H, config.nodes, initRange, rng));
    } else {
      if (cell.nodes.length !== config.nodes) {
        throw new Error(
          `RnnLanguageModel: the fixed cell has ${cell.nodes.length} nodes but config.nodes is ${config.nodes}; make them agree`,
        );
      }
      this.cell = this.registerModule('cell', new FixedRnnCellWeights(this.group, cell, H, initRange, rng));
    }
  }

  get hidden(): number {
    return this.config.hidden;
  }

  /**
   * Records the forward pass of one window from `state` [B, H] (a persistent tensor, or zeros; no gradient flows
   * into it: truncated BPTT). `training` switches the dropouts on.
   */
  forward(window: BpttWindow, state: Tensor, arch: RnnArchitecture, training: boolean): RnnLmForward {
    const e = this.engine;
    const { vocabSize: V, hidden: H } = this.config;
    const T = window.steps;
    const B = window.x.length / T;
    if (!Number.isInteger(B) || B < 1 || window.y.length !== window.x.length) {
      throw new Error(
        `RnnLanguageModel.forward: the window holds ${window.x.length} inputs and ${window.y.length} targets for ${T} steps; both must be [B, ${T}]`,
      );
    }
    if (state.shape.length !== 2 || state.shape[0] !== B || state.shape[1] !== H) {
      throw new Error(`RnnLanguageModel.forward: state '${state.name}' is [${state.shape.join(', ')}], the window needs [${B}, ${H}]`);
    }
    const d = training ? this.config.dropout : NO_DROPOUT;
    const ids = e.input(timeMajorIds(window.x, B, T, V, 'inputs'), [T * B], 'rnn.ids');
    const labels = e.input(timeMajorIds(window.y, B, T, V, 'targets'), [T * B], 'rnn.labels');

    const table =
      d.embeddingRows > 0 ? dropPath(this.embedding.reshape([V, H, 1, 1]), 1 - d.embeddingRows).reshape([V, H]) : this.embedding;
    let x = embedding(table, ids).reshape([T, B, H]);
    x = variationalDropout(x, 1 - d.embeddingOutput);
    x = variationalDropout(x, 1 - d.cellInput);
    const stateMask = d.state > 0 ? dropout(this.onesFor(B), 1 - d.state) : undefined;

    const steps: Tensor[] = [];
    let s = state.detach();
    for (let t = 0; t < T; t++) {
      const xt = e.scope(rnnScope(t, 0), () => timeStep(x, t));
      s = rnnCellStep(e, arch, this.cell, { time: t, x: xt, sPrev: s, stateMask }, this.config.output);
      steps.push(s);
    }
    const outputs = stackSteps(steps);
    const top = variationalDropout(outputs, 1 - d.output);
    const logits = matmul(top.reshape([T * B, H]), this.embedding, { transB: true });
    return { loss: crossEntropy(logits, labels), outputs, finalState: s };
  }

  /**
   * The weights L2 decay applies to. Search: W_prev and the sampled cell's N slots (the reference decays only the
   * sampled cell's matrices, `child.py` `var_s`); fixed cell: every parameter, embedding included (`fixed_lib.py`
   * sums over all trainable variables).
   */
  decayedWeights(arch: RnnArchitecture): Tensor[] {
    return this.cell instanceof RnnWeightPool ? this.cell.usedWeights(arch) : this.parameters();
  }

  /**
   * loss + weightDecay·Σ w² + α·mean(s²) + β·mean((s_t − s_{t−1})²).
   *
   * The search code's decay term is `tf.nn.l2_loss(w ** 2)` = ½Σw⁴ over W_prev and the slots of nodes 2..N
   * (`var_s = [w_prev] + w_skip[1:]` skips node 1's slot). Both look accidental: with weights near ±0.04 the quartic
   * term is ~10⁻⁶ of the quadratic one, i.e. no decay at all, and nothing justifies exempting node 1. The paper and
   * the final-training code mean ordinary L2, so this is L2 (Σ w², gradient 2·weightDecay·w) on every weight the
   * sampled cell used. Being part of the loss, it is clipped with the data gradient, as in the reference.
   */
  regularizedLoss(f: RnnLmForward, arch: RnnArchitecture, c: Pick<RnnTrainConfig, 'weightDecay' | 'activationL2' | 'slowness'>): Tensor {
    return this.engine.scope('rnn.regularizers', () => {
      let total = f.loss;
      if (c.weightDecay > 0) {
        let squares: Tensor | undefined;
        for (const w of this.decayedWeights(arch)) {
          const s = this.squares(w, sum);
          squares = squares ? add(squares, s) : s;
        }
        if (squares) total = add(total, scale(squares, c.weightDecay));
      }
      const S = f.outputs;
      if (c.activationL2 > 0) total = add(total, scale(this.squares(S, mean), c.activationL2));
      const T = S.shape[0] as number;
      if (c.slowness > 0 && T > 1) {
        const diff = sub(timeSlice(S, 1, T - 1), timeSlice(S, 0, T - 1));
        total = add(total, scale(this.squares(diff, mean), c.slowness));
      }
      return total;
    });
  }

  /**
   * reduce(x ⊙ x), with x ⊙ x made in its own region: x is both operands of the product, and WebGPU forbids a
   * dispatch that writes a buffer from binding overlapping ranges of it, so the product must not share x's buffer.
   */
  private squares(x: Tensor, reduce: (t: Tensor) => Tensor): Tensor {
    return reduce(this.engine.scope('rnn.squares', () => mul(x, x)));
  }

  /**
   * The persistent [B, H] state named `name` (created zero on first use): what a trainer or an evaluator carries
   * from one window to the next. The name 'zero' is never written, so it is the zero state.
   */
  state(name: string, batchSize: number): Tensor {
    const key = `${name}[${batchSize}]`;
    let s = this.states.get(key);
    if (!s) {
      s = this.engine.persistent(new Float32Array(batchSize * this.config.hidden), [batchSize, this.config.hidden], `rnn.state.${key}`);
      this.states.set(key, s);
    }
    return s;
  }

  /** Zeroes a state between steps (a queue write: it lands after the steps already submitted). */
  resetState(state: Tensor): void {
    this.engine.ctx.writeBuffer(state.data.buffer, state.data.offset, new Float32Array(state.size));
  }

  /** Records s ← s_T at the end of a step, after everything that reads the old state (the backward included). */
  carryState(finalState: Tensor, state: Tensor): void {
    if (finalState.size !== state.size)
      throw new Error(`carryState: '${finalState.name}' has ${finalState.size} values, '${state.name}' ${state.size}`);
    // A scale-by-1 dispatch rather than copyBufferToBuffer: it stays in the step's compute pass.
    scaleKernel(this.engine.rec, finalState.data, state.data, state.size, 1);
  }

  private onesFor(B: number): Tensor {
    let ones = this.ones.get(B);
    if (!ones) {
      ones = this.engine.persistent(new Float32Array(B * this.config.hidden).fill(1), [B, this.config.hidden], `rnn.ones[${B}]`);
      this.ones.set(B, ones);
    }
    return ones;
  }
}

/** [B, T] batch-major token ids (bpttWindow's layout) → [T, B] time-major u32, each checked against the vocabulary. */
export function timeMajorIds(ids: Int32Array, B: number, T: number, V: number, what: string): Uint32Array {
  const out = new Uint32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const id = ids[b * T + t] as number;
      if (!(id >= 0 && id < V)) {
        throw new Error(
          `RnnLanguageModel: ${what}[${b}, ${t}] = ${id} is outside the vocabulary 0..${V - 1}; the corpus and the model disagree on its size`,
        );
      }
      out[t * B + b] = id;
    }
  }
  return out;
}
