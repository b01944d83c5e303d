/**
 * The macro-space controller (official `general_controller.py` with `--controller_search_whole_channels`,
 * `_build_sampler` L131-267; reference notes a.0, a.2).
 *
 * One LSTM pass over the layers, from the learned input g_emb. For layer i:
 *   op     one LSTM step; logits = h·W_soft (no bias), shaped by tanh_constant · tanh (1.5); sample the op; the
 *          next input is its embedding W_emb[op]                                              (L140-170)
 *   anchor one more LSTM step; its output h is layer i's anchor                                (L205-206, L252)
 *   skips  for i > 0: q_j = v·tanh(W1·anchor_j + W2·h) for each earlier layer j, logits [−q_j, q_j] (shaped), so
 *          P(skip_j) = σ(2q_j) after shaping; the i binary decisions are sampled independently, in ONE dispatch
 *          (a categorical sampler over i rows of 2); the next input is the mean of the chosen anchors,
 *          skips·anchors / (1 + Σ skips)                                                      (L208-248)
 *          for i = 0 the next input is g_emb again.
 * Every decision is sampled on the GPU into a RowDecisionLog (row: layer i's op, then its row of i skip bits),
 * read back packed in the official arc order; a replay recomputes the logged decisions with gradients.
 *
 * Loss terms (L275-292): Σ −log p of every decision (the op's, and each skip bit's), and the skip penalty
 * skip_weight · mean over layers 1..L−1 of Σ_j KL(P(skip_j) ‖ ρ), ρ = 0.4, weight 0.8.
 *
 * Deliberate differences from the official code, for what the paper intends:
 *   - the penalty's KL uses the probability the controller samples with, p = softmax([−q, q])₁ = σ(2q); the
 *     official code takes σ of each logit of the pair (`tf.sigmoid(logit)`, L231), i.e. σ(q), which is not the
 *     skip probability (it pulls σ(q) to 0.4, so the sampled skip rate towards σ(2·logit(0.4)) ≈ 0.31);
 *   - the entropy of a decision is its full softmax entropy −Σ p log p (the sampler's, as the micro controller
 *     uses); the official macro controller records −p·log p of the sampled choice only (L168, L241). It only enters
 *     the reward, weighted 1e-4.
 */
import {
  add,
  crossEntropy,
  type Engine,
  embedding,
  logSoftmax,
  maskedMean,
  matmul,
  mul,
  type ParameterGroup,
  scale,
  sigmoid,
  sub,
  type Tensor,
  tanh,
} from '@enas-webgpu/autograd';
import { categoricalSample, type Rng } from '@enas-webgpu/wgsl-kernels';
import { MACRO_OPS, type MacroArchitecture, type MacroLayer, type MacroOpId, validateMacroArchitecture } from '../arch/macro.js';
import { LstmController, type LstmControllerOptions, type LstmState } from '../controller/lstm-controller.js';
import { RowDecisionLog } from '../controller/row-decision-log.js';
import type { ArchitectureController, ControllerLoss } from '../search/search-space.js';

export interface MacroControllerOptions extends LstmControllerOptions {
  /** L, layers of the child network (12 in the search preset). */
  layers: number;
  /** ρ, the skip probability the KL penalty pulls towards (`--controller_skip_target=0.4`). */
  skipTarget: number;
  /** Weight of the skip penalty in the controller loss (`--controller_skip_weight=0.8`); 0 switches it off. */
  skipWeight: number;
}

/** The official macro search script (`scripts/cifar10_macro_search.sh`; `main.py` L153-154 fixes the LSTM). */
export const MACRO_CONTROLLER_DEFAULTS: MacroControllerOptions = {
  layers: 12,
  lstmSize: 64,
  lstmLayers: 1,
  tanhConstant: 1.5,
  initRange: 0.1,
  skipTarget: 0.4,
  skipWeight: 0.8,
};

/** Row of layer i's op decision, and of its skip decisions (i > 0), in a RowDecisionLog in arc order. */
const opRow = (i: number) => (i === 0 ? 0 : 2 * i - 1);
const skipRow = (i: number) => 2 * i;

export class MacroController extends LstmController implements ArchitectureController<MacroArchitecture> {
  override readonly options: MacroControllerOptions;
  readonly log: RowDecisionLog;
  private readonly gEmb: Tensor;
  private readonly wEmb: Tensor;
  private readonly wSoft: Tensor;
  private readonly wAttn1: Tensor;
  private readonly wAttn2: Tensor;
  private readonly vAttn: Tensor;
  /** [−1, 1]: q [i, 1] · this = the logit pairs [−q, q]. */
  private readonly pairSign: Tensor;
  /** [log(1 − ρ), log ρ], the log of the penalty's target distribution. */
  private readonly logTarget: Tensor;
  private penalties: Tensor[] = [];

  constructor(engine: Engine, group: ParameterGroup, rng: Rng, options: Partial<MacroControllerOptions> = {}) {
    const o = { ...MACRO_CONTROLLER_DEFAULTS, ...options };
    if (!Number.isInteger(o.layers) || o.layers < 1) throw new Error(`macro controller: layers must be an integer >= 1, got ${o.layers}`);
    if (!(o.skipTarget > 0 && o.skipTarget < 1)) throw new Error(`macro controller: skipTarget must be in (0, 1), got ${o.skipTarget}`);
    if (!(o.skipWeight >= 0)) throw new Error(`macro controller: skipWeight must be >= 0, got ${o.skipWeight}`);
    super(engine, group, o, rng);
    this.options = o;
    const H = o.lstmSize;
    const K = MACRO_OPS.length;
    this.gEmb = this.weight('g_emb', [1, H]);
    this.wEmb = this.weight('emb.w', [K, H]);
    this.wSoft = this.weight('softmax.w', [H, K]);
    this.wAttn1 = this.weight('attention.w_1', [H, H]);
    this.wAttn2 = this.weight('attention.w_2', [H, H]);
    this.vAttn = this.weight('attention.v', [H, 1]);
    this.pairSign = engine.persistent(Float32Array.of(-1, 1), [1, 2], 'macro-controller.pair-sign');
    this.logTarget = engine.persistent(
      Float32Array.of(Math.log(1 - o.skipTarget), Math.log(o.skipTarget)),
      [1, 2],
      'macro-controller.log-target',
    );
    const widths: number[] = [1];
    for (let i = 1; i < o.layers; i++) widths.push(1, i);
    this.log = new RowDecisionLog(engine, widths, 'macro-controller');
  }

  /**
   * Records a pass over the layers. 'sample' draws a fresh architecture into the log (no tape; read it back with
   * `architectureFromWords(await step.readU32(controller.log.packedIndices))`); 'replay' recomputes the logged one
   * and returns Σ −log p of its decisions and the weighted skip penalty, with gradients.
   */
  run(mode: 'sample'): undefined;
  run(mode: 'replay'): ControllerLoss;
  run(mode: 'sample' | 'replay'): ControllerLoss | undefined {
    this.mode = mode;
    this.penalties = [];
    if (mode === 'sample') {
      this.engine.noGrad(() => {
        this.pass();
        this.log.pack();
      });
      return undefined;
    }
    this.pass();
    const negLogProb = this.totalNegLogProb();
    const L = this.options.layers;
    if (L < 2 || this.options.skipWeight === 0) return { negLogProb };
    let kl = this.penalties[0] as Tensor;
    for (let i = 1; i < this.penalties.length; i++) kl = add(kl, this.penalties[i] as Tensor);
    // Mean over the L − 1 layers with skip decisions (`tf.reduce_mean(skip_penaltys)`), then the weight.
    return { negLogProb, penalty: scale(kl, this.options.skipWeight / (L - 1)) };
  }

  architectureFromWords(words: ArrayLike<number>): MacroArchitecture {
    return macroArchitectureFromWords(words, this.options.layers);
  }

  private pass(): void {
    let state: LstmState = this.zeroState();
    let input = this.gEmb;
    const anchors: Tensor[] = [];
    const keys: Tensor[] = [];
    for (let i = 0; i < this.options.layers; i++) {
      state = this.step(input, state);
      const op = this.decideRows(matmul(this.top(state), this.wSoft), opRow(i)).row;
      input = embedding(this.wEmb, op);
      state = this.step(input, state);
      const h = this.top(state);
      if (i > 0) {
        const query = tanh(add(this.rows(keys), this.repeatRows(matmul(h, this.wAttn2), i)));
        // [i, 2] = [−q, q]
        const { row: skips, logits } = this.decideRows(matmul(matmul(query, this.vAttn), this.pairSign), skipRow(i));
        if (logits && this.options.skipWeight > 0) this.penalties.push(this.skipKl(logits));
        input = maskedMean(this.rows(anchors), skips, 1);
      } else {
        input = this.gEmb;
      }
      anchors.push(h);
      keys.push(matmul(h, this.wAttn1));
    }
  }

  /**
   * Decision row r from raw logits [B, K] (B independent decisions of K categories): sampled into the log in one
   * dispatch, the sampler applying the controller's shaping; or (replay) shaped with autograd ops and Σ −log p of
   * the logged row added to this pass's total. Returns the row on the GPU, and in replay the shaped logits.
   */
  private decideRows(raw: Tensor, r: number): { row: Tensor; logits?: Tensor } {
    const [B, K] = raw.shape as [number, number];
    const row = this.log.row(r);
    if (row.size !== B) throw new Error(`macro controller: decision row ${r} holds ${row.size} decisions, the logits have ${B} rows`);
    if (this.mode === 'sample') {
      categoricalSample(
        this.engine.rec,
        {
          rng: this.engine.rng,
          logits: raw.data,
          index: this.log.indexSlot(r),
          logProb: this.log.logProbSlot(r),
          entropy: this.log.entropySlot(r),
        },
        { B, K },
        { stream: this.engine.nextStream(), temperature: this.options.temperature, tanhConstant: this.options.tanhConstant },
      );
      return { row };
    }
    const logits = this.shape(raw);
    const meanNll = crossEntropy(logits, row);
    this.negLogProbs.push(B === 1 ? meanNll : scale(meanNll, B));
    return { row, logits };
  }

  /** Σ_j KL(Bernoulli(p_j) ‖ Bernoulli(ρ)) of one layer's skip logits [i, 2], p_j = softmax(logits_j)₁ = σ(2q_j). */
  private skipKl(logits: Tensor): Tensor {
    const B = logits.shape[0] as number;
    const p = sigmoid(scale(logits, 2)); // [1 − p, p], as the logits are [−q, q]
    const terms = mul(p, sub(logSoftmax(logits), this.repeatRows(this.logTarget, B)));
    return matmul(terms.reshape([1, 2 * B]), this.column(2 * B)).reshape([1]);
  }

  /** Rows [1, H] stacked into [n, H] (one row needs no copy). */
  private rows(xs: readonly Tensor[]): Tensor {
    return xs.length === 1 ? (xs[0] as Tensor) : this.stackRows(xs);
  }

  /** A persistent ones [n, 1] (shared with repeatRows), so a matmul by it sums a row. */
  private column(n: number): Tensor {
    let ones = this.ones.get(n);
    if (!ones) {
      ones = this.engine.persistent(new Float32Array(n).fill(1), [n, 1], `ones[${n}]`);
      this.ones.set(n, ones);
    }
    return ones;
  }
}

/** The architecture encoded by a read-back macro decision log: the official arc order, layer i at i(i+1)/2. */
export function macroArchitectureFromWords(words: ArrayLike<number>, layers: number): MacroArchitecture {
  const need = (layers * (layers + 1)) / 2;
  if (words.length < need) throw new Error(`macro architecture: ${words.length} decision words for ${layers} layers, need ${need}`);
  const out: MacroLayer[] = [];
  for (let i = 0; i < layers; i++) {
    const start = (i * (i + 1)) / 2;
    const skips = Array.from({ length: i }, (_, j) => words[start + 1 + j] as 0 | 1);
    out.push({ op: words[start] as MacroOpId, skips });
  }
  const arch: MacroArchitecture = { space: 'macro', layers: out };
  validateMacroArchitecture(arch);
  return arch;
}
