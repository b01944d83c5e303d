/**
 * The micro search space's shared network (official `micro_child.py`, `_model` with `_enas_layer`; reference notes
 * a.3): every child of the space is a subgraph of it, with weights from one WeightPool.
 *
 *   stem        conv 3×3 (3 → 3C) → BN
 *   L + 2 cells normal cells, with reduction cells at [L/3, 2·L/3 + 1] (C doubles; the previous output first
 *               goes through a factorized reduction, then the reduction arc runs as a stride-1 cell)
 *   head        ReLU → global average pool → dropout → FC (no bias)
 *   aux head    optional, after the last reduction: ReLU → avg pool 5×5/3 → 1×1 conv 128 → BN → ReLU
 *               → conv (its spatial size) 768 → BN → ReLU → GAP → FC
 *
 * A cell calibrates its two inputs to C channels and one size, then each node adds two ops applied to earlier
 * nodes: separable convs 3×3/5×5 ((ReLU → depthwise → pointwise → BN) × 2), 3×3 average and max pooling, identity.
 * Separable-conv weights and their BN scale/offset are indexed by (layer, node, input index): the pool holds a set
 * per input a node could read. Nodes no other node reads are summed through 1×1 convs whose weights are indexed by
 * node (the official concat + gathered 1×1 conv, without the gather's copy), then BN. During search every BN uses
 * batch statistics (`if self.fixed_arc is None: is_training = True`).
 *
 * Deliberate differences from the official code, for what the paper intends:
 *   - the auxiliary head's weights are trained (the official optimizer list excludes them, a.5.4);
 *   - He-normal initialisation uses each filter's own fan-in (the official 2-D pool tensors make Keras compute
 *     the fan-in from the number of possible inputs);
 *   - the reward evaluation runs without dropout (the official validation forward keeps it on).
 */
import { type Engine, heNormal, type Tensor } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { type MicroArchitecture, type MicroCell, type MicroOpId, microCellOutputs } from '../arch/micro.js';
import { BlockBuilder, bnAt, factorizedReduction, reluConvBn, sepConvStack } from '../cnn/blocks.js';
import { type CnnOps, gpuCnnOps, type RunningStats, type WeightSource } from '../cnn/ops.js';
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

export const SEP_KERNELS = [3, 5] as const;

export interface CnnOutput<T> {
  logits: T;
  /** Present when the aux head is enabled and training. */
  auxLogits?: T;
}

/** Reduction cells of an L-layer micro network: [L/3, 2·L/3 + 1] (`micro_child.py` pool_layers). */
export function microReductionLayers(layers: number): number[] {
  const d = Math.floor(layers / 3);
  return [d, 2 * d + 1];
}

export const sepConvKey = (layer: number, node: number, input: number, k: number) =>
  `layer_${layer}/node_${node}/in_${input}/sep_conv_${k}x${k}`;

export class MicroSearchNetwork {
  readonly pool: WeightPool;
  readonly reductionLayers: number[];
  readonly auxLayer: number;
  private readonly blocks: BlockBuilder;
  private readonly gpu: CnnOps<Tensor>;

  constructor(
    readonly engine: Engine,
    readonly config: MicroSearchConfig,
    rng: Rng,
    groupName = 'child',
  ) {
    if (config.filters % 2 !== 0)
      throw new Error(`micro search: filters must be even (factorized reduction halves them), got ${config.filters}`);
    if (!Number.isInteger(config.layers) || config.layers < 1)
      throw new Error(`micro search: layers must be an integer >= 1, got ${config.layers}`);
    this.pool = new WeightPool(engine.group(groupName));
    this.reductionLayers = microReductionLayers(config.layers);
    this.auxLayer = (this.reductionLayers[1] as number) + 1;
    this.blocks = new BlockBuilder(
      engine,
      (k, s, v) => this.pool.create(k, s, v),
      (n, fanIn) => heNormal(rng, n, fanIn),
    );
    this.gpu = gpuCnnOps(engine);
    this.build();
  }

  /** BN running averages by checkpoint name (persistent, not trained: outside the pool). */
  namedBuffers(): [string, Tensor][] {
    return this.blocks.namedRunning();
  }

  /** The pool as a WeightSource for the GPU forward. */
  get weights(): WeightSource<Tensor> {
    return { slot: (k) => this.pool.slot(k), running: (k) => this.blocks.running.get(k) };
  }

  private build(): void {
    const c = this.config;
    const b = this.blocks;
    let C = c.filters;
    b.conv('stem/w', 3 * C, c.inputChannels, 3);
    b.bn('stem/bn', 3 * C, true);
    // Channels and sizes of each cell's two inputs, as _model produces them.
    let prev = { c: 3 * C, hw: c.imageSize };
    let cur = { c: 3 * C, hw: c.imageSize };
    for (let l = 0; l < c.layers + 2; l++) {
      if (this.reductionLayers.includes(l)) {
        C *= 2;
        b.factorizedReduction(`layer_${l}/reduce`, cur.c, C);
        prev = cur;
        cur = { c: C, hw: Math.ceil(cur.hw / 2) };
      }
      const key = `layer_${l}/calibrate`;
      if (prev.hw !== cur.hw) b.factorizedReduction(`${key}/pool_x`, prev.c, C);
      else if (prev.c !== C) b.reluConvBn(`${key}/pool_x`, C, prev.c);
      if (cur.c !== C) b.reluConvBn(`${key}/pool_y`, C, cur.c);
      for (let j = 0; j < c.nodes; j++) {
        for (let input = 0; input < j + 2; input++) {
          // fused_batch_norm in training mode, no running averages (_enas_conv).
          for (const k of SEP_KERNELS) b.sepConvStack(sepConvKey(l, j, input, k), C, C, k, 2, false);
        }
      }
      for (let i = 0; i < c.nodes + 2; i++) b.conv(`layer_${l}/final_conv/node_${i}`, C, C, 1);
      b.bn(`layer_${l}/final_conv/bn`, C, true);
      prev = cur;
      cur = { c: C, hw: cur.hw };
      if (c.auxHead && l === this.auxLayer) buildAuxHead(b, C, cur.hw, c.classes, l);
    }
    b.dense('fc/w', C, c.classes);
  }

  /** The sampled child's logits for images x [N, Cin, H, W] on the GPU. */
  forward(x: Tensor, arch: MicroArchitecture, training: boolean): CnnOutput<Tensor> {
    return microSearchForward(this.gpu, this.weights, this.config, arch, x, training);
  }
}

export function buildAuxHead(b: BlockBuilder, C: number, hw: number, classes: number, layer: number): void {
  const pooled = Math.floor((hw - 5) / 3) + 1;
  if (pooled < 1) throw new Error(`the aux head needs at least 5×5 features at layer ${layer}; the network has ${hw}×${hw} there`);
  b.conv('aux_head/proj/w', 128, C, 1);
  b.bn('aux_head/proj/bn', 128, true);
  b.conv('aux_head/avg_pool/w', 768, 128, pooled);
  b.bn('aux_head/avg_pool/bn', 768, true);
  b.dense('aux_head/fc/w', 768, classes);
}

/** The aux head (`micro_child.py` _model, aux_head scope). */
export function auxHead<T>(o: CnnOps<T>, w: WeightSource<T>, h: T): T {
  let a = o.avgPool(o.relu(h), { kernelSize: 5, stride: 3, padding: 'valid' });
  a = o.relu(bnAt(o, w, 'aux_head/proj/bn', o.conv2d(a, w.slot('aux_head/proj/w'), { padding: 'same' }), true));
  a = o.relu(bnAt(o, w, 'aux_head/avg_pool/bn', o.conv2d(a, w.slot('aux_head/avg_pool/w'), { padding: 'same' }), true));
  return o.linear(o.gap(a), w.slot('aux_head/fc/w'));
}

/** The forward pass of one sampled child, over any CnnOps (written once for the GPU and the float64 twin). */
export function microSearchForward<T>(
  o: CnnOps<T>,
  w: WeightSource<T>,
  c: MicroSearchConfig,
  arch: MicroArchitecture,
  x: T,
  training: boolean,
): CnnOutput<T> {
  const reductionLayers = microReductionLayers(c.layers);
  const auxLayer = (reductionLayers[1] as number) + 1;
  let C = c.filters;
  let h = o.scope('stem', () => bnAt(o, w, 'stem/bn', o.conv2d(x, w.slot('stem/w'), { padding: 'same' }), true));
  let layers: [T, T] = [h, h];
  let auxLogits: T | undefined;
  for (let l = 0; l < c.layers + 2; l++) {
    const reduce = reductionLayers.includes(l);
    if (reduce) {
      C *= 2;
      const input = h;
      const reduced = o.scope(`layer_${l}/reduce`, () => factorizedReduction(o, w, `layer_${l}/reduce`, input, true));
      layers = [layers[1], reduced];
    }
    h = searchCell(o, w, l, layers, reduce ? arch.reduction : arch.normal, C);
    layers = [layers[1], h];
    const out = h;
    if (c.auxHead && training && l === auxLayer) auxLogits = o.scope('aux_head', () => auxHead(o, w, out));
  }
  const final = h;
  const logits = o.scope('head', () => o.linear(o.dropout(o.gap(o.relu(final)), training ? c.keepProb : 1), w.slot('fc/w')));
  return auxLogits === undefined ? { logits } : { logits, auxLogits };
}

function searchCell<T>(o: CnnOps<T>, w: WeightSource<T>, l: number, [x, y]: [T, T], arc: MicroCell, C: number): T {
  const nodes: T[] = o.scope(`layer_${l}/calibrate`, () => {
    const key = `layer_${l}/calibrate`;
    let cx = x;
    if (o.shape(x)[2] !== o.shape(y)[2]) cx = factorizedReduction(o, w, `${key}/pool_x`, x, true, true);
    else if (o.shape(x)[1] !== C) cx = reluConvBn(o, w, `${key}/pool_x`, x, true);
    const cy = o.shape(y)[1] !== C ? reluConvBn(o, w, `${key}/pool_y`, y, true) : y;
    return [cx, cy];
  });
  arc.forEach((node, j) => {
    const branch = (b: 0 | 1) =>
      o.scope(`layer_${l}/node_${j}/${b === 0 ? 'x' : 'y'}`, () => searchOp(o, w, l, j, node.inputs[b], node.ops[b], nodes, C));
    const bx = branch(0);
    const by = branch(1);
    nodes.push(o.scope(`layer_${l}/node_${j}`, () => o.add(bx, by)));
  });
  return o.scope(`layer_${l}/out`, () => {
    let sum: T | undefined;
    for (const i of microCellOutputs(arc)) {
      const projected = o.conv2d(nodes[i] as T, w.slot(`layer_${l}/final_conv/node_${i}`), { padding: 'same', inputRelu: true });
      sum = sum === undefined ? projected : o.add(sum, projected);
    }
    return bnAt(o, w, `layer_${l}/final_conv/bn`, sum as T, true);
  });
}

function searchOp<T>(o: CnnOps<T>, w: WeightSource<T>, l: number, j: number, input: number, op: MicroOpId, nodes: T[], C: number): T {
  const x = nodes[input];
  if (x === undefined) throw new Error(`micro search: node ${j + 2} of layer ${l} reads input ${input}, which does not exist yet`);
  if (o.shape(x)[1] !== C) throw new Error(`micro search: layer ${l} input ${input} has ${o.shape(x)[1]} channels, expected ${C}`);
  switch (op) {
    case 0:
    case 1:
      return sepConvStack(o, w, sepConvKey(l, j, input, SEP_KERNELS[op]), x, true);
    case 2:
      return o.avgPool(x, { kernelSize: 3, stride: 1, padding: 'same' });
    case 3:
      return o.maxPool(x, { kernelSize: 3, stride: 1, padding: 'same' });
    case 4:
      return x;
  }
}

export type { RunningStats };
