/**
 * The machinery every ENAS controller shares (official `src/common_ops.py`, `micro_controller.py`,
 * `general_controller.py`; reference notes a.0):
 *
 *   - a stacked LSTM without bias, ifog = [x, h_prev]·W, weights initialised U(−0.1, 0.1), one fused dispatch
 *     per layer and step (gate product and cell);
 *   - logits shaped as logits / temperature, then tanh_constant · tanh(logits);
 *   - each decision either SAMPLED on the GPU (the categorical sampler writes the index into the decision log),
 *     or REPLAYED: the log already holds the index and the pass computes −log p(index) with gradients.
 *
 * A REINFORCE update replays the exact decisions of a sampling pass with the same parameters, so both passes
 * compute the same logits; the sampling pass runs without a tape and the replay records one. Either way the next
 * LSTM input is gathered on the GPU by the logged index, so a pass is the same list of dispatches whatever was
 * decided, and nothing is read back until the whole architecture is known.
 */
import {
  add,
  concatChannels,
  crossEntropy,
  type Engine,
  linear,
  lstmStep,
  Module,
  matmul,
  type ParameterGroup,
  scale,
  type Tensor,
  tanh,
  uniform,
} from '@enas-webgpu/autograd';
import { categoricalSample, type Rng } from '@enas-webgpu/wgsl-kernels';
import type { DecisionLog } from './decision-log.js';

export type ControllerMode = 'sample' | 'replay';

export interface LstmControllerOptions {
  /** LSTM hidden size (official CIFAR code: 64; the paper: 100). */
  lstmSize: number;
  lstmLayers: number;
  /** Divides logits before the tanh (none in the CIFAR scripts; 5 for the language model). */
  temperature?: number;
  /** tanh_constant (1.1 micro search, 1.5 macro, 2.25 language model). */
  tanhConstant?: number;
  /** Initialisation range: U(−a, a) (0.1 CIFAR, 0.01 language model). */
  initRange: number;
}

export interface LstmState {
  h: Tensor[];
  c: Tensor[];
}

export abstract class LstmController extends Module {
  readonly lstm: Tensor[] = [];
  protected readonly ones = new Map<number, Tensor>();
  /** Σ −log p(decision) of the current replay pass (undefined while sampling). */
  protected negLogProbs: Tensor[] = [];
  protected mode: ControllerMode = 'sample';

  constructor(
    readonly engine: Engine,
    readonly group: ParameterGroup,
    readonly options: LstmControllerOptions,
    protected readonly rng: Rng,
  ) {
    super();
    const H = options.lstmSize;
    for (let l = 0; l < options.lstmLayers; l++) {
      this.lstm.push(this.weight(`lstm.layer_${l}.w`, [2 * H, 4 * H]));
    }
  }

  protected weight(name: string, shape: number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.registerParameter(name, this.group.parameter(uniform(this.rng, n, this.options.initRange), shape, name));
  }

  private zeroRow: Tensor | undefined;

  /** A persistent [1, H] of zeros (the initial state and the cell inputs' anchors): made once, never re-uploaded. */
  protected zeros(): Tensor {
    this.zeroRow ??= this.engine.persistent(new Float32Array(this.options.lstmSize), [1, this.options.lstmSize], 'controller.zeros');
    return this.zeroRow;
  }

  protected zeroState(): LstmState {
    const zero = this.zeros();
    return { h: this.lstm.map(() => zero), c: this.lstm.map(() => zero) };
  }

  /** One step of the stacked LSTM from input x [1, H]; returns the new state (top output: h[last]). */
  protected step(x: Tensor, prev: LstmState): LstmState {
    const h: Tensor[] = [];
    const c: Tensor[] = [];
    let input = x;
    this.lstm.forEach((w, l) => {
      // The gate product [x, h_prev]·W and the cell in one dispatch (autograd's lstmStep).
      const [hl, cl] = lstmStep(input, prev.h[l] as Tensor, prev.c[l] as Tensor, w);
      h.push(hl);
      c.push(cl);
      input = hl;
    });
    return { h, c };
  }

  protected top(s: LstmState): Tensor {
    return s.h[s.h.length - 1] as Tensor;
  }

  /** logits / temperature, then tanhConstant · tanh(·), as each is configured. */
  protected shape(logits: Tensor, tanhConstant = this.options.tanhConstant): Tensor {
    let z = logits;
    if (this.options.temperature !== undefined) z = scale(z, 1 / this.options.temperature);
    if (tanhConstant !== undefined) z = scale(tanh(z), tanhConstant);
    return z;
  }

  /**
   * Makes decision `slot` from raw logits [1, K], shaped as `shape` does (temperature, then tanh constant: the
   * controller's unless `shaping` gives one) plus an optional fixed bias [1, K] added after shaping. Sampling hands
   * the shaping to the sampler kernel, which draws the index into the log (and writes the shaped logits where the
   * log keeps them): no shaping tensors, no shaping dispatches. Replay shapes with autograd ops and adds −log p of
   * the logged index to this pass's total. Returns the decision as a u32 tensor on the GPU.
   */
  protected decide(raw: Tensor, log: DecisionLog, slot: number, shaping: { tanhConstant?: number; bias?: Tensor } = {}): Tensor {
    const K = raw.size;
    const tanhConstant = shaping.tanhConstant ?? this.options.tanhConstant;
    if (this.mode === 'sample') {
      categoricalSample(
        this.engine.rec,
        {
          rng: this.engine.rng,
          logits: raw.data,
          bias: shaping.bias?.data,
          index: log.indexSlot(slot),
          logProb: log.logProbSlot(slot),
          entropy: log.entropySlot(slot),
          shaped: log.keptRow(slot, K),
        },
        { B: 1, K },
        { stream: this.engine.nextStream(), temperature: this.options.temperature, tanhConstant },
      );
    } else {
      let logits = this.shape(raw, tanhConstant);
      if (shaping.bias) logits = add(logits, shaping.bias);
      this.negLogProbs.push(crossEntropy(logits.reshape([1, K]), log.index(slot)));
    }
    return log.index(slot);
  }

  /** Rows x[i] [1, n] stacked into [rows, n]. */
  protected stackRows(xs: readonly Tensor[]): Tensor {
    const n = (xs[0] as Tensor).size;
    return concatChannels(xs.map((x) => x.reshape([1, 1, 1, n]))).reshape([xs.length, n]);
  }

  /** x [1, n] repeated over `rows` rows, as ones[rows, 1] · x (so its gradient sums over the rows). */
  protected repeatRows(x: Tensor, rows: number): Tensor {
    let ones = this.ones.get(rows);
    if (!ones) {
      ones = this.engine.persistent(new Float32Array(rows).fill(1), [rows, 1], `ones[${rows}]`);
      this.ones.set(rows, ones);
    }
    return matmul(ones, x);
  }

  /** The summed −log p of a replay pass (a one-element tensor with gradients). */
  protected totalNegLogProb(): Tensor {
    const parts = this.negLogProbs;
    this.negLogProbs = [];
    if (parts.length === 0) throw new Error('controller replay made no decisions');
    let total = parts[0] as Tensor;
    for (let i = 1; i < parts.length; i++) total = add(total, parts[i] as Tensor);
    return total;
  }

  protected linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
    return linear(x, w, b);
  }
}
