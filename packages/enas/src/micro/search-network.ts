/**
 * The micro search space's shared network (official `micro_child.py`, `_model` with `_enas_layer`; reference notes
 * a.3): every child of the space is a subgraph of it, with weights from one WeightPool.
 *
 *   stem        conv 3×3 (3 → 3C) → BN
 *   L + 2 cells normal cells, with reduction cells at [L/3, 2·L/3 + 1] (C doubles; the previous output first
 *               goes through a factorized reduction, then the reduction arc runs as a stride-1 cell)
 *   head        ReLU → global average pool → dropout → FC (no bias)
 *   aux head    optional, after the last reduction: ReLU → avg pool 5×5/3 → 1×1 conv 128 → BN → ReLU
 *               → conv (spatial size) 768 → BN → ReLU → GAP → FC
 *
 * A cell calibrates its two inputs to C channels and the same size, then each node adds two ops applied to
 * earlier nodes; ops are separable convs 3×3/5×5 ((ReLU → depthwise → pointwise → BN) × 2), 3×3 average and max
 * pooling, and identity. Separable-conv weights and their BN scale/offset are indexed by (layer, node, input
 * index): the pool holds one set per input a node could read. Nodes no other node reads are summed through 1×1
 * convs whose weights are indexed by node (the official concat + gathered 1×1 conv, without the gather's copy),
 * then BN. During search every BN uses batch statistics (`if self.fixed_arc is None: is_training = True`).
 *
 * Deliberate differences from the official code, for what the paper intends:
 *   - the auxiliary head's weights are trained (the official optimizer list excludes them, a.5.4);
 *   - He-normal initialisation uses each filter's own fan-in (the official 2-D pool tensors make Keras compute
 *     the fan-in from the number of possible inputs).
 */
import {
  add,
  avgPool2d,
  conv2d,
  dropout,
  type Engine,
  globalAvgPool,
  heNormal,
  linear,
  maxPool2d,
  relu,
  type Tensor,
} from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { type MicroArchitecture, type MicroCell, type MicroOpId, microCellOutputs } from '../arch/micro.js';
import {
  type BatchNormWeights,
  bn,
  createBatchNormWeights,
  type FactorizedReductionWeights,
  factorizedReduction,
  reluConvBn,
  type SepConvWeights,
  sepConvStack,
} from '../cnn/blocks.js';
import { WeightPool } from '../pool/weight-pool.js';

export interface MicroSearchConfig {
  /** L: the network has L + 2 cells (6 in the search preset). */
  layers: number;
  /** B: computed nodes per cell (5). */
  nodes: number;
  /** C: channels of the first cells (20 in the search preset). */
  filters: number;
  inputChannels: number;
  imageSize: number;
  classes: number;
  /** Dropout keep probability before the classifier (0.9 in search). */
  keepProb: number;
  auxHead: boolean;
}

const SEP_KERNELS = [3, 5] as const;

export interface MicroForwardResult {
  logits: Tensor;
  /** Present when the aux head is enabled and training. */
  auxLogits?: Tensor;
}

export class MicroSearchNetwork {
  readonly pool: WeightPool;
  readonly reductionLayers: number[];
  readonly auxLayer: number;
  /** BN running averages by checkpoint name (they are persistent, not trained: outside the pool). */
  private readonly running = new Map<string, Tensor>();

  constructor(
    readonly engine: Engine,
    readonly config: MicroSearchConfig,
    rng: Rng,
    groupName = 'child',
  ) {
    if (config.filters % 2 !== 0)
      throw new Error(`micro search: filters must be even (factorized reduction halves them), got ${config.filters}`);
    if (config.layers < 1) throw new Error(`micro search: layers must be >= 1, got ${config.layers}`);
    this.pool = new WeightPool(engine.group(groupName));
    const d = Math.floor(config.layers / 3);
    this.reductionLayers = [d, 2 * d + 1];
    this.auxLayer = (this.reductionLayers[1] as number) + 1;
    this.build(rng);
  }

  /** Persistent non-trainable tensors (BN running averages), by checkpoint name. */
  namedBuffers(): [string, Tensor][] {
    return [...this.running];
  }

  // ---- construction: every slot of the pool, in a fixed order ----

  private build(rng: Rng): void {
    const c = this.config;
    let C = c.filters;
    this.conv('stem/w', 3 * C, c.inputChannels, 3, rng);
    this.norm('stem/bn', 3 * C, true);
    // Channels and sizes of the two inputs of each cell, as _model builds them.
    let prev = { c: 3 * C, hw: c.imageSize };
    let cur = { c: 3 * C, hw: c.imageSize };
    for (let l = 0; l < c.layers + 2; l++) {
      const reduce = this.reductionLayers.includes(l);
      if (reduce) {
        C *= 2;
        this.reduction(`layer_${l}/reduce`, cur.c, C, rng);
        prev = cur;
        cur = { c: C, hw: Math.ceil(cur.hw / 2) };
      }
      this.calibration(`layer_${l}/calibrate`, prev, cur, C, rng);
      for (let j = 0; j < c.nodes; j++) {
        for (let input = 0; input < j + 2; input++) {
          for (const k of SEP_KERNELS) {
            for (let s = 0; s < 2; s++) {
              const key = this.sepKey(l, j, input, k, s);
              this.pool.create(`${key}/depthwise`, [C, k, k], heNormal(rng, C * k * k, k * k));
              this.conv(`${key}/pointwise`, C, C, 1, rng);
              this.norm(`${key}/bn`, C, false);
            }
          }
        }
      }
      for (let i = 0; i < c.nodes + 2; i++) this.conv(`layer_${l}/final_conv/node_${i}`, C, C, 1, rng);
      this.norm(`layer_${l}/final_conv/bn`, C, true);
      prev = cur;
      cur = { c: C, hw: cur.hw };
      if (c.auxHead && l === this.auxLayer) this.buildAux(C, cur.hw, rng);
    }
    this.pool.create('fc/w', [C, c.classes], heNormal(rng, C * c.classes, C));
  }

  private buildAux(C: number, hw: number, rng: Rng): void {
    const pooled = Math.floor((hw - 5) / 3) + 1;
    if (pooled < 1)
      throw new Error(`micro search: the aux head needs at least 5×5 features at layer ${this.auxLayer}, the network has ${hw}×${hw}`);
    this.conv('aux_head/proj/w', 128, C, 1, rng);
    this.norm('aux_head/proj/bn', 128, true);
    this.conv('aux_head/avg_pool/w', 768, 128, pooled, rng);
    this.norm('aux_head/avg_pool/bn', 768, true);
    this.pool.create('aux_head/fc/w', [768, this.config.classes], heNormal(rng, 768 * this.config.classes, 768));
  }

  private conv(key: string, cout: number, cin: number, k: number, rng: Rng): Tensor {
    return this.pool.create(key, [cout, cin, k, k], heNormal(rng, cout * cin * k * k, cin * k * k));
  }

  private norm(key: string, channels: number, withRunning: boolean): BatchNormWeights {
    const w = createBatchNormWeights((n, s, v) => this.pool.create(n, s, v), this.engine, key, channels, withRunning);
    if (w.running) {
      this.running.set(`${key}/moving_mean`, w.running.mean);
      this.running.set(`${key}/moving_variance`, w.running.variance);
    }
    return w;
  }

  private reduction(key: string, cin: number, cout: number, rng: Rng): void {
    this.conv(`${key}/path1`, cout / 2, cin, 1, rng);
    this.conv(`${key}/path2`, cout / 2, cin, 1, rng);
    this.norm(`${key}/bn`, cout, true);
  }

  private calibration(key: string, x: { c: number; hw: number }, y: { c: number; hw: number }, C: number, rng: Rng): void {
    if (x.hw !== y.hw) this.reduction(`${key}/pool_x`, x.c, C, rng);
    else if (x.c !== C) {
      this.conv(`${key}/pool_x/w`, C, x.c, 1, rng);
      this.norm(`${key}/pool_x/bn`, C, true);
    }
    if (y.c !== C) {
      this.conv(`${key}/pool_y/w`, C, y.c, 1, rng);
      this.norm(`${key}/pool_y/bn`, C, true);
    }
  }

  private sepKey(layer: number, node: number, input: number, k: number, stack: number): string {
    return `layer_${layer}/node_${node}/in_${input}/sep_conv_${k}x${k}/stack_${stack}`;
  }

  // ---- the forward pass of one sampled child ----

  /** The sampled child's logits for images x [N, Cin, H, W]. BN uses batch statistics (search mode). */
  forward(x: Tensor, arch: MicroArchitecture, training: boolean): MicroForwardResult {
    const e = this.engine;
    const c = this.config;
    let C = c.filters;
    let h = e.scope('stem', () => bn(conv2d(x, this.pool.slot('stem/w'), { padding: 'same' }), this.bnWeights('stem/bn', true), true));
    let layers: [Tensor, Tensor] = [h, h];
    let auxLogits: Tensor | undefined;
    for (let l = 0; l < c.layers + 2; l++) {
      const reduce = this.reductionLayers.includes(l);
      if (reduce) {
        C *= 2;
        const reduced = e.scope(`layer_${l}/reduce`, () => factorizedReduction(h, this.reductionWeights(`layer_${l}/reduce`), true));
        layers = [layers[1], reduced];
      }
      h = this.cell(l, layers, reduce ? arch.reduction : arch.normal, C);
      layers = [layers[1], h];
      if (c.auxHead && training && l === this.auxLayer) auxLogits = e.scope('aux_head', () => this.aux(h));
    }
    const logits = e.scope('head', () => linear(dropout(globalAvgPool(relu(h)), training ? c.keepProb : 1), this.pool.slot('fc/w')));
    return auxLogits ? { logits, auxLogits } : { logits };
  }

  private cell(l: number, inputs: [Tensor, Tensor], arc: MicroCell, C: number): Tensor {
    const e = this.engine;
    const nodes: Tensor[] = e.scope(`layer_${l}/calibrate`, () => this.calibrate(l, inputs, C));
    arc.forEach((node, j) => {
      const branch = (b: 0 | 1) =>
        e.scope(`layer_${l}/node_${j}/${b === 0 ? 'x' : 'y'}`, () => this.op(l, j, node.inputs[b], node.ops[b], nodes, C));
      const x = branch(0);
      const y = branch(1);
      nodes.push(e.scope(`layer_${l}/node_${j}`, () => add(x, y)));
    });
    return e.scope(`layer_${l}/out`, () => {
      let sum: Tensor | undefined;
      for (const i of microCellOutputs(arc)) {
        const projected = conv2d(relu(nodes[i] as Tensor), this.pool.slot(`layer_${l}/final_conv/node_${i}`), { padding: 'same' });
        sum = sum ? add(sum, projected) : projected;
      }
      return bn(sum as Tensor, this.bnWeights(`layer_${l}/final_conv/bn`, true), true);
    });
  }

  private calibrate(l: number, [x, y]: [Tensor, Tensor], C: number): Tensor[] {
    const key = `layer_${l}/calibrate`;
    let cx = x;
    if (x.shape[2] !== y.shape[2]) cx = factorizedReduction(relu(x), this.reductionWeights(`${key}/pool_x`), true);
    else if (x.shape[1] !== C) cx = reluConvBn(x, this.pool.slot(`${key}/pool_x/w`), this.bnWeights(`${key}/pool_x/bn`, true), true);
    const cy = y.shape[1] !== C ? reluConvBn(y, this.pool.slot(`${key}/pool_y/w`), this.bnWeights(`${key}/pool_y/bn`, true), true) : y;
    return [cx, cy];
  }

  private op(l: number, j: number, input: number, op: MicroOpId, nodes: Tensor[], C: number): Tensor {
    const x = nodes[input];
    if (!x) throw new Error(`micro search: node ${j + 2} of layer ${l} reads input ${input}, which does not exist yet`);
    if (x.shape[1] !== C) throw new Error(`micro search: layer ${l} input ${input} has ${x.shape[1]} channels, expected ${C}`);
    switch (op) {
      case 0:
      case 1: {
        const k = SEP_KERNELS[op];
        const stacks: SepConvWeights[] = [0, 1].map((s) => {
          const key = this.sepKey(l, j, input, k, s);
          return {
            depthwise: this.pool.slot(`${key}/depthwise`),
            pointwise: this.pool.slot(`${key}/pointwise`),
            norm: this.bnWeights(`${key}/bn`, false),
          };
        });
        return sepConvStack(x, stacks, true);
      }
      case 2:
        return avgPool2d(x, { kernelSize: 3, stride: 1, padding: 'same' });
      case 3:
        return maxPool2d(x, { kernelSize: 3, stride: 1, padding: 'same' });
      case 4:
        return x;
    }
  }

  private aux(h: Tensor): Tensor {
    let a = avgPool2d(relu(h), { kernelSize: 5, stride: 3, padding: 'valid' });
    a = relu(reluConvBnNoRelu(a, this.pool.slot('aux_head/proj/w'), this.bnWeights('aux_head/proj/bn', true)));
    a = relu(bn(conv2d(a, this.pool.slot('aux_head/avg_pool/w'), { padding: 'same' }), this.bnWeights('aux_head/avg_pool/bn', true), true));
    return linear(globalAvgPool(a), this.pool.slot('aux_head/fc/w'));
  }

  private bnWeights(key: string, withRunning: boolean): BatchNormWeights {
    const w: BatchNormWeights = { gamma: this.pool.slot(`${key}/scale`), beta: this.pool.slot(`${key}/offset`) };
    if (withRunning) {
      const mean = this.running.get(`${key}/moving_mean`);
      const variance = this.running.get(`${key}/moving_variance`);
      if (mean && variance) w.running = { mean, variance };
    }
    return w;
  }

  private reductionWeights(key: string): FactorizedReductionWeights {
    return { path1: this.pool.slot(`${key}/path1`), path2: this.pool.slot(`${key}/path2`), norm: this.bnWeights(`${key}/bn`, true) };
  }
}

/** conv 1×1 → BN, without the leading ReLU (the aux head's projection). */
function reluConvBnNoRelu(x: Tensor, w: Tensor, norm: BatchNormWeights): Tensor {
  return bn(conv2d(x, w, { padding: 'same' }), norm, true);
}
