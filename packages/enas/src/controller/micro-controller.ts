/**
 * The micro-space controller (official `micro_controller.py`, reference notes a.3).
 *
 * Two passes of one LSTM, normal cell then reduction cell (the second continues the first's state). Each cell
 * starts with two LSTM steps from the learned input g_emb whose outputs are the anchors' attention keys of the two
 * cell inputs (their anchors are zeros). For each node: two index decisions by attention over the anchors so far,
 * v·tanh(W1·anchor + W2·h), then two op decisions, logits = h·W_soft + b_soft, b_soft learned and initialised
 * [10, 10, 0, 0, 0] (favouring the separable convs early), with tanh constant tanh_c / op_tanh_reduce and, for the
 * normal cell only, the fixed bias [0.25, 0.25, −0.25, −0.25, −0.25]. After an index decision the next input is
 * the chosen anchor; after an op decision, its embedding W_emb[op]. One more LSTM step makes the node's anchor,
 * and the input returns to g_emb. Entropy is the full softmax entropy of each decision.
 */
import { add, type Engine, embedding, matmul, type ParameterGroup, type Tensor, tanh } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { MICRO_OPS, type MicroArchitecture, type MicroCell, type MicroNode, type MicroOpId } from '../arch/micro.js';
import type { ArchitectureController, ControllerLoss } from '../search/search-space.js';
import { DecisionLog } from './decision-log.js';
import { LstmController, type LstmControllerOptions, type LstmState } from './lstm-controller.js';

export interface MicroControllerOptions extends LstmControllerOptions {
  /** B, computed nodes per cell (5). */
  nodes: number;
  /** Ops reduce the tanh constant by this factor (2.5 in the micro search script). */
  opTanhReduce: number;
  /** Initial value of the learned op bias b_soft (official: [10, 10, 0, 0, 0], favouring the separable convs). */
  opBiasInit: readonly number[];
}

export const MICRO_CONTROLLER_DEFAULTS: MicroControllerOptions = {
  nodes: 5,
  lstmSize: 64,
  lstmLayers: 1,
  tanhConstant: 1.1,
  opTanhReduce: 2.5,
  initRange: 0.1,
  opBiasInit: [10, 10, 0, 0, 0],
};

const NORMAL_CELL_OP_BIAS = [0.25, 0.25, -0.25, -0.25, -0.25];

export class MicroController extends LstmController implements ArchitectureController<MicroArchitecture> {
  override readonly options: MicroControllerOptions;
  readonly log: DecisionLog;
  private readonly gEmb: Tensor;
  private readonly wEmb: Tensor;
  private readonly wSoft: Tensor;
  private readonly bSoft: Tensor;
  private readonly wAttn1: Tensor;
  private readonly wAttn2: Tensor;
  private readonly vAttn: Tensor;
  private readonly normalBias: Tensor;

  constructor(engine: Engine, group: ParameterGroup, rng: Rng, options: Partial<MicroControllerOptions> = {}) {
    const o = { ...MICRO_CONTROLLER_DEFAULTS, ...options };
    super(engine, group, o, rng);
    this.options = o;
    const H = o.lstmSize;
    const K = MICRO_OPS.length;
    this.gEmb = this.weight('g_emb', [1, H]);
    this.wEmb = this.weight('emb.w', [K, H]);
    this.wSoft = this.weight('softmax.w', [H, K]);
    if (o.opBiasInit.length !== K) throw new Error(`micro controller: opBiasInit needs ${K} values, got ${o.opBiasInit.length}`);
    this.bSoft = this.registerParameter('softmax.b', group.parameter(Float32Array.from(o.opBiasInit), [1, K], 'softmax.b'));
    this.wAttn1 = this.weight('attention.w_1', [H, H]);
    this.wAttn2 = this.weight('attention.w_2', [H, H]);
    this.vAttn = this.weight('attention.v', [H, 1]);
    this.normalBias = engine.persistent(Float32Array.from(NORMAL_CELL_OP_BIAS), [1, K], 'softmax.b_no_learn');
    this.log = new DecisionLog(engine, 8 * o.nodes, 'micro-controller');
  }

  /** Decisions per architecture (4 per node, two cells). */
  get decisionCount(): number {
    return this.log.count;
  }

  /**
   * Records a pass over both cells. 'sample' draws a fresh architecture into the log (no tape; read it back with
   * `architectureFromWords(await step.readU32(controller.log.packedIndices))`); 'replay' recomputes the logged one
   * and returns Σ −log p of its decisions, with gradients.
   */
  run(mode: 'sample'): undefined;
  run(mode: 'replay'): ControllerLoss;
  run(mode: 'sample' | 'replay'): ControllerLoss | undefined {
    this.mode = mode;
    const body = () => {
      let state = this.zeroState();
      state = this.cell(state, 0, true);
      this.cell(state, 4 * this.options.nodes, false);
      if (mode === 'sample') this.log.pack();
    };
    if (mode === 'sample') {
      this.engine.noGrad(body);
      return undefined;
    }
    body();
    return { negLogProb: this.totalNegLogProb() };
  }

  /**
   * Keep every decision's final logits from now on, for `log.readProbabilities()` (a viewer's heat map). The
   * widest decision is the last node's input choice (B + 1 candidates) or the op choice (5).
   */
  keepDecisionLogits(): void {
    this.log.keepLogits(Math.max(this.options.nodes + 1, MICRO_OPS.length));
  }

  architectureFromWords(words: ArrayLike<number>): MicroArchitecture {
    return microArchitectureFromWords(words, this.options.nodes);
  }

  private cell(initial: LstmState, firstSlot: number, normal: boolean): LstmState {
    const zeroAnchor = this.zeros();
    const anchors: Tensor[] = [];
    const keys: Tensor[] = [];
    let state = initial;
    let input = this.gEmb;
    for (let i = 0; i < 2; i++) {
      state = this.step(input, state);
      anchors.push(zeroAnchor);
      keys.push(matmul(this.top(state), this.wAttn1));
    }
    for (let node = 2; node < this.options.nodes + 2; node++) {
      // The arc string holds index_1 op_1 index_2 op_2 per node; indices are decided first, then ops.
      const base = firstSlot + 4 * (node - 2);
      // Both index decisions of a node attend over the same anchors: stack them once per node.
      const stackedKeys = this.stackRows(keys);
      const stackedAnchors = this.stackRows(anchors);
      for (let i = 0; i < 2; i++) {
        state = this.step(input, state);
        const query = tanh(add(stackedKeys, this.repeatRows(matmul(this.top(state), this.wAttn2), node)));
        const index = this.decide(matmul(query, this.vAttn).reshape([1, node]), this.log, base + 2 * i);
        input = embedding(stackedAnchors, index);
      }
      for (let i = 0; i < 2; i++) {
        state = this.step(input, state);
        const op = this.decide(add(matmul(this.top(state), this.wSoft), this.bSoft), this.log, base + 2 * i + 1, {
          tanhConstant: this.opTanhConstant(),
          bias: normal ? this.normalBias : undefined,
        });
        input = embedding(this.wEmb, op);
      }
      state = this.step(input, state);
      anchors.push(this.top(state));
      keys.push(matmul(this.top(state), this.wAttn1));
      input = this.gEmb;
    }
    return state;
  }

  private opTanhConstant(): number | undefined {
    const t = this.options.tanhConstant;
    return t === undefined ? undefined : t / this.options.opTanhReduce;
  }
}

/** The architecture encoded by a read-back decision log (normal cell's 4·B words, then the reduction cell's). */
export function microArchitectureFromWords(words: ArrayLike<number>, nodes: number): MicroArchitecture {
  const cell = (offset: number): MicroCell => {
    const out: MicroNode[] = [];
    for (let j = 0; j < nodes; j++) {
      const w = (k: number) => words[offset + 4 * j + k] as number;
      out.push({ inputs: [w(0), w(2)], ops: [w(1) as MicroOpId, w(3) as MicroOpId] });
    }
    return out;
  };
  return { space: 'micro', normal: cell(0), reduction: cell(4 * nodes) };
}
