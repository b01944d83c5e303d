/**
 * The controller of the recurrent-cell search (enas_lm `controller.py` `_build_sampler`; reference notes a.1).
 *
 * One LSTM (hidden 64, init U(±0.01)) makes two decisions per searched node i = 1..N, starting from the learned
 * input g_emb:
 *
 *   prev   one LSTM step; attention over the anchors of nodes 0..i−1, logits_j = v · tanh(W1·a_j + W2·h), then
 *          /temperature (5), 2.25·tanh, and the distance penalty −(i − j)²/6 (it favours recent nodes);
 *          node 0's anchor is zeros, node j's is the LSTM output of node j's prev step.
 *          next input = the chosen anchor / (0.1 + i − j)
 *   func   one LSTM step; logits = h · W_embᵀ, same shaping, no penalty; next input = W_emb[func]
 *
 * The decisions land in a DecisionLog in arc-string order (prev func prev func ...). Sampling runs on the GPU
 * (LstmController.decide); the REINFORCE replay recomputes −log p of the logged decisions with a tape. The next
 * input's scale 1/(0.1 + i − j) depends on the sampled j, so it is gathered on the GPU from a per-node table.
 *
 * Entropy: the sampler reports the full softmax entropy of each decision; the reference's LM controller uses
 * −p·log p of the sampled choice only. With entropy weight 1e-5 and rewards near 80/ppl the difference does not
 * show in the reward; this keeps one sampler for every controller.
 */
import { add, type Engine, embedding, matmul, mulScalar, type ParameterGroup, type Tensor, tanh } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { DEFAULT_RNN_NODES, RNN_FUNCS, type RnnArchitecture, type RnnFuncId, type RnnNode, validateRnnArchitecture } from '../arch/rnn.js';
import { DecisionLog } from '../controller/decision-log.js';
import { LstmController, type LstmControllerOptions } from '../controller/lstm-controller.js';

export interface RnnControllerOptions extends LstmControllerOptions {
  /** Searched nodes N. */
  nodes: number;
  /** Divisor of the squared distance penalty (6); 0 switches the penalty off. */
  distancePenalty: number;
}

export const RNN_CONTROLLER_DEFAULTS: RnnControllerOptions = {
  nodes: DEFAULT_RNN_NODES,
  lstmSize: 64,
  lstmLayers: 1,
  temperature: 5,
  tanhConstant: 2.25,
  initRange: 0.01,
  distancePenalty: 6,
};

export class RnnController extends LstmController {
  override readonly options: RnnControllerOptions;
  readonly log: DecisionLog;
  private readonly gEmb: Tensor;
  private readonly wEmb: Tensor;
  private readonly wAttn1: Tensor;
  private readonly wAttn2: Tensor;
  private readonly vAttn: Tensor;
  /** Per node i: the penalty row [1, i] and the input scales [i, 1] (constants). */
  private readonly penalties: Tensor[] = [];
  private readonly inputScales: Tensor[] = [];

  constructor(engine: Engine, group: ParameterGroup, rng: Rng, options: Partial<RnnControllerOptions> = {}) {
    const o = { ...RNN_CONTROLLER_DEFAULTS, ...options };
    if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new Error(`RnnController: nodes = ${o.nodes}; it must be a positive integer`);
    if (!(o.distancePenalty >= 0))
      throw new Error(`RnnController: distancePenalty = ${o.distancePenalty}; use 6 (the reference) or 0 (off)`);
    super(engine, group, o, rng);
    this.options = o;
    const H = o.lstmSize;
    this.gEmb = this.weight('embedding.g', [1, H]);
    this.wEmb = this.weight('embedding.w', [RNN_FUNCS.length, H]);
    this.wAttn1 = this.weight('attention.w_1', [H, H]);
    this.wAttn2 = this.weight('attention.w_2', [H, H]);
    this.vAttn = this.weight('attention.v', [H, 1]);
    for (let i = 1; i <= o.nodes; i++) {
      const js = Array.from({ length: i }, (_, j) => j);
      const penalty = js.map((j) => (o.distancePenalty > 0 ? -((i - j) ** 2) / o.distancePenalty : 0));
      this.penalties.push(engine.persistent(Float32Array.from(penalty), [1, i], `rnn-controller.penalty[${i}]`));
      this.inputScales.push(
        engine.persistent(
          Float32Array.from(js, (j) => 1 / (0.1 + i - j)),
          [i, 1],
          `rnn-controller.input-scale[${i}]`,
        ),
      );
    }
    this.log = new DecisionLog(engine, 2 * o.nodes, 'rnn-controller');
  }

  get nodes(): number {
    return this.options.nodes;
  }

  /**
   * Records one pass. 'sample' draws a new cell into the log (no tape; read it with
   * `rnnArchitectureFromWords(await step.readU32(controller.log.packedIndices))`); 'replay' recomputes the logged
   * cell and returns Σ −log p of its 2N decisions, with gradients.
   */
  run(mode: 'sample' | 'replay'): Tensor | undefined {
    this.mode = mode;
    const body = () => {
      this.decideAll();
      if (mode === 'sample') this.log.pack();
    };
    if (mode === 'sample') {
      this.engine.noGrad(body);
      return undefined;
    }
    body();
    return this.totalNegLogProb();
  }

  private decideAll(): void {
    const H = this.options.lstmSize;
    const zero = this.engine.input(new Float32Array(H), [1, H], 'anchor.zero');
    const anchors: Tensor[] = [zero];
    const keys: Tensor[] = [zero];
    let state = this.zeroState();
    let input = this.gEmb;
    for (let i = 1; i <= this.options.nodes; i++) {
      state = this.step(input, state);
      const h = this.top(state);
      const query = tanh(add(this.stackRows(keys), this.repeatRows(matmul(h, this.wAttn2), i)));
      const prev = this.decide(matmul(query, this.vAttn).reshape([1, i]), this.log, 2 * (i - 1), { bias: this.penalties[i - 1] });
      input = mulScalar(embedding(this.stackRows(anchors), prev), embedding(this.inputScales[i - 1] as Tensor, prev));
      anchors.push(h);
      keys.push(matmul(h, this.wAttn1));

      state = this.step(input, state);
      const func = this.decide(matmul(this.top(state), this.wEmb, { transB: true }), this.log, 2 * i - 1);
      input = embedding(this.wEmb, func);
    }
  }
}

/** The cell encoded by a read-back decision log (2N words, prev func prev func ...); validated. */
export function rnnArchitectureFromWords(words: ArrayLike<number>, nodes: number): RnnArchitecture {
  if (words.length < 2 * nodes)
    throw new Error(`rnnArchitectureFromWords: ${words.length} words for ${nodes} nodes; expected ${2 * nodes}`);
  const out: RnnNode[] = [];
  for (let k = 0; k < nodes; k++) out.push({ prev: words[2 * k] as number, func: words[2 * k + 1] as RnnFuncId });
  const arch: RnnArchitecture = { space: 'rnn', nodes: out };
  validateRnnArchitecture(arch);
  return arch;
}
