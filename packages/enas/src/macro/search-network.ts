/**
 * The macro search space's shared network (official `general_child.py`, `_model` with `_enas_layer` in the
 * `--controller_search_whole_channels` mode; reference notes a.2): every child of the space is a subgraph of it,
 * with weights from one WeightPool keyed by (layer, branch).
 *
 *   stem     conv 3×3 (3 → C) → BN                                                      (L197-201)
 *   layer l  one branch applied to the previous output (L264-307):
 *              op 0-3  1×1 conv → BN → ReLU, then conv k×k, or depthwise k×k + pointwise 1×1 (separable, channel
 *                      multiplier 1), → BN → ReLU                                     (`_conv_branch`, L483-544)
 *              op 4-5  1×1 conv → BN → ReLU → 3×3 avg / max pool, stride 1, SAME      (`_pool_branch`, L546-589)
 *            then, for l > 0, out = BN(Σ skip inputs + out)                            (L353-367)
 *   pooling  after layers [L/3 − 1, 2L/3 − 1], EVERY output so far (the stem's included) goes through its own
 *            factorized reduction, halving the size                                    (L95-96, L214-224)
 *   head     global average pool → dropout → FC (no bias, no ReLU before the pool)     (L231-242)
 *
 * The width is C throughout: the official search never doubles channels at the pooling layers (only fixed
 * architectures do, L215-216; reference notes a.5.3), so neither does this network. Search preset: 12 layers,
 * 36 filters, batch 128.
 *
 * Skip bit j of layer l adds `layers[j]` of the official list, which starts with the stem: bit 0 is the stem's
 * output and bit j > 0 is layer j − 1's (`prev_layers[i]` in L361 and in the fixed-arc path L463). The layer's own
 * input (layer l − 1) is never added as a skip. Every published macro architecture means this.
 *
 * BN keeps running averages everywhere and uses them when `training` is false, as the official reward
 * (`build_valid_rl` runs `_model(x, False)`) does. Deliberate differences from the official code:
 *   - only the sampled branch runs (the official graph computes all six and `tf.case` picks one), so a branch's
 *     running averages move only on the steps that sample it;
 *   - He-normal initialisation uses each filter's own fan-in (depthwise k², pointwise C), as the micro network.
 */
import { type Engine, heNormal, type Tensor } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { MACRO_OPS, type MacroArchitecture, type MacroOpId, macroPoolLayers } from '../arch/macro.js';
import { BlockBuilder, bnAt, factorizedReduction } from '../cnn/blocks.js';
import { type CnnOps, gpuCnnOps, type WeightSource } from '../cnn/ops.js';
import type { CnnOutput } from '../micro/search-network.js';
import { WeightPool } from '../pool/weight-pool.js';

export interface MacroSearchConfig {
  /** L, layers in the chain (12 in the search preset, 24 in the official final network). */
  layers: number;
  /** C, channels of every layer during search (36 in the search preset). */
  filters: number;
  inputChannels: number;
  imageSize: number;
  classes: number;
  /** Dropout keep probability before the classifier (0.9 in search). */
  keepProb: number;
}

/** What each op id builds: the official branch_0 … branch_5. */
export type MacroBranch = { kind: 'conv'; k: 3 | 5; separable: boolean } | { kind: 'pool'; pool: 'avg' | 'max' };

export const MACRO_BRANCHES: readonly MacroBranch[] = [
  { kind: 'conv', k: 3, separable: false },
  { kind: 'conv', k: 3, separable: true },
  { kind: 'conv', k: 5, separable: false },
  { kind: 'conv', k: 5, separable: true },
  { kind: 'pool', pool: 'avg' },
  { kind: 'pool', pool: 'max' },
];

/** Pool keys as the official variable scopes: `layer_3/branch_1/out_conv_3/w_depth`. */
export const macroBranchKey = (layer: number, op: MacroOpId) => `layer_${layer}/branch_${op}`;
export const macroPoolKey = (poolLayer: number, from: number) => `layer_${poolLayer}/pool_at_${poolLayer}/from_${from}`;

export class MacroSearchNetwork {
  readonly pool: WeightPool;
  readonly poolLayers: number[];
  private readonly blocks: BlockBuilder;
  private readonly gpu: CnnOps<Tensor>;

  constructor(
    readonly engine: Engine,
    readonly config: MacroSearchConfig,
    rng: Rng,
    groupName = 'child',
  ) {
    checkMacroConfig(config);
    this.pool = new WeightPool(engine.group(groupName));
    this.poolLayers = macroPoolLayers(config.layers);
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
    const C = c.filters;
    b.conv('stem/w', C, c.inputChannels, 3);
    b.bn('stem/bn', C, true);
    for (let l = 0; l < c.layers; l++) {
      MACRO_BRANCHES.forEach((branch, op) => {
        const key = macroBranchKey(l, op as MacroOpId);
        if (branch.kind === 'pool') {
          b.conv(`${key}/conv_1/w`, C, C, 1);
          b.bn(`${key}/conv_1/bn`, C, true);
          return;
        }
        b.conv(`${key}/inp_conv_1/w`, C, C, 1);
        b.bn(`${key}/inp_conv_1/bn`, C, true);
        const out = `${key}/out_conv_${branch.k}`;
        if (branch.separable) {
          b.depthwise(`${out}/w_depth`, C, branch.k);
          b.conv(`${out}/w_point`, C, C, 1);
        } else {
          b.conv(`${out}/w`, C, C, branch.k);
        }
        b.bn(`${out}/bn`, C, true);
      });
      if (l > 0) b.bn(`layer_${l}/skip/bn`, C, true);
      // The official list holds the stem and layers 0..l when layer l pools: l + 2 outputs to reduce.
      if (this.poolLayers.includes(l)) for (let i = 0; i < l + 2; i++) b.factorizedReduction(macroPoolKey(l, i), C, C);
    }
    b.dense('fc/w', C, c.classes);
  }

  /** The sampled child's logits for images x [N, Cin, H, W] on the GPU. */
  forward(x: Tensor, arch: MacroArchitecture, training: boolean): CnnOutput<Tensor> {
    return macroSearchForward(this.gpu, this.weights, this.config, arch, x, training);
  }
}

export function checkMacroConfig(c: MacroSearchConfig): void {
  if (!Number.isInteger(c.layers) || c.layers < 1) throw new Error(`macro search: layers must be an integer >= 1, got ${c.layers}`);
  if (!Number.isInteger(c.filters) || c.filters < 2 || c.filters % 2 !== 0) {
    throw new Error(`macro search: filters must be an even integer >= 2 (factorized reduction halves them), got ${c.filters}`);
  }
  if (!(c.keepProb > 0 && c.keepProb <= 1)) throw new Error(`macro search: keepProb must be in (0, 1], got ${c.keepProb}`);
  const reductions = macroPoolLayers(c.layers).length;
  if (c.imageSize < 2 ** reductions) {
    throw new Error(
      `macro search: ${c.imageSize}×${c.imageSize} images cannot be halved ${reductions} times; use larger images or fewer layers`,
    );
  }
}

/** The forward pass of one sampled child, over any CnnOps (written once for the GPU and the float64 twin). */
export function macroSearchForward<T>(
  o: CnnOps<T>,
  w: WeightSource<T>,
  c: MacroSearchConfig,
  arch: MacroArchitecture,
  x: T,
  training: boolean,
): CnnOutput<T> {
  if (arch.layers.length !== c.layers) {
    throw new Error(`macro search: the architecture has ${arch.layers.length} layers but the network was built for ${c.layers}`);
  }
  const poolLayers = macroPoolLayers(c.layers);
  const stem = o.scope('stem', () => bnAt(o, w, 'stem/bn', o.conv2d(x, w.slot('stem/w'), { padding: 'same' }), training));
  // The official `layers` list: the stem's output, then each layer's; skip bit j reads entry j.
  let outputs: T[] = [stem];
  arch.layers.forEach((layer, l) => {
    const input = outputs[outputs.length - 1] as T;
    let out = o.scope(`layer_${l}/branch`, () => macroBranch(o, w, l, layer.op, input, training));
    if (l > 0) {
      const skips = layer.skips.flatMap((bit, j) => (bit === 1 ? [outputs[j] as T] : []));
      const branchOut = out;
      out = o.scope(`layer_${l}/skip`, () => bnAt(o, w, `layer_${l}/skip/bn`, o.sum([...skips, branchOut]), training));
    }
    outputs.push(out);
    if (poolLayers.includes(l)) {
      outputs = outputs.map((t, i) => o.scope(macroPoolKey(l, i), () => factorizedReduction(o, w, macroPoolKey(l, i), t, training)));
    }
  });
  const last = outputs[outputs.length - 1] as T;
  const logits = o.scope('head', () => o.linear(o.dropout(o.gap(last), training ? c.keepProb : 1), w.slot('fc/w')));
  return { logits };
}

/** Branch `op` of layer l (`_conv_branch` / `_pool_branch` with start_idx 0 and all C channels). */
function macroBranch<T>(o: CnnOps<T>, w: WeightSource<T>, l: number, op: MacroOpId, x: T, training: boolean): T {
  const branch = MACRO_BRANCHES[op];
  if (!branch) throw new Error(`macro search: layer ${l} has op ${op}; ops are 0..${MACRO_OPS.length - 1}`);
  const key = macroBranchKey(l, op);
  const conv1x1 = (k: string) => o.relu(bnAt(o, w, `${k}/bn`, o.conv2d(x, w.slot(`${k}/w`), { padding: 'same' }), training));
  if (branch.kind === 'pool') {
    const y = conv1x1(`${key}/conv_1`);
    const pool = { kernelSize: 3, stride: 1, padding: 'same' as const };
    return branch.pool === 'avg' ? o.avgPool(y, pool) : o.maxPool(y, pool);
  }
  const y = conv1x1(`${key}/inp_conv_1`);
  const out = `${key}/out_conv_${branch.k}`;
  const z = branch.separable
    ? o.conv2d(o.depthwise(y, w.slot(`${out}/w_depth`), { padding: 'same' }), w.slot(`${out}/w_point`), { padding: 'same' })
    : o.conv2d(y, w.slot(`${out}/w`), { padding: 'same' });
  return o.relu(bnAt(o, w, `${out}/bn`, z, training));
}
