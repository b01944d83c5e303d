/**
 * A macro-space architecture as a network with its own parameters, trained from scratch (official
 * `general_child.py` with `--child_fixed_arc` and `--controller_search_whole_channels`: `_model`,
 * `_fixed_layer`; reference notes a.2):
 *
 *   stem        conv 3×3 (3 → C) → BN
 *   L layers    layer i: its op on the previous output, then, for i > 0, the skip connection (below)
 *   pool layers after layers [L/3 − 1, 2·L/3 − 1] (`macroPoolLayers`) C doubles, and every output so far (the
 *               stem included) goes through a factorized reduction to the new C and half the size
 *   head        global average pool → dropout → FC (no bias; no ReLU, as the official head)
 *
 * The ops, each on the previous output h (C channels):
 *
 *   conv k×k          ReLU → 1×1 conv → BN, then ReLU → k×k conv → BN                (ids 0, 2: k = 3, 5)
 *   sep conv k×k      ReLU → 1×1 conv → BN, then ReLU → depthwise k×k → pointwise → BN  (ids 1, 3)
 *   avg / max pool    ReLU → 1×1 conv → BN, then 3×3 pool, stride 1, SAME            (ids 4, 5)
 *
 * The official fixed path builds ids 1 and 3 as ordinary convolutions and leaves 4 and 5 unimplemented (`pass`,
 * reference notes a.5.2; melodyguan/enas issues #18, #56). Here the separable convs are separable (one
 * depthwise-pointwise pair, as the search branch `_conv_branch(separable=True)`), and the pools take the
 * same 1×1 projection as the conv ops before pooling, as the search branch `_pool_branch` does.
 *
 * Skip connections (fixed arc, `_fixed_layer`): for i > 0, concat(the selected earlier outputs, op output) →
 * ReLU → 1×1 conv → BN, also when nothing is selected. Skip bit j of layer i selects `prev_layers[j]` of the
 * official list [stem, layer 0, …, layer i − 1]: the stem for j = 0, else layer j − 1 (layer i − 1 is the op's
 * input already). Channels double at pool layers, as the official code does for fixed arcs only.
 *
 * The official GeneralChild has no aux head (the final script's `--child_use_aux_heads` is ignored); it can be
 * enabled here, after layer [2·L/3 − 1] + 1 as in the micro network.
 */
import { type MacroArchitecture, type MacroOpId, macroPoolLayers, macroSkipSources } from '../arch/macro.js';
import { type BlockBuilder, bnAt, factorizedReduction, reluConvBn, sepConvStack } from '../cnn/blocks.js';
import type { CnnOps, WeightSource } from '../cnn/ops.js';
import { auxHead, buildAuxHead, type CnnOutput } from '../micro/search-network.js';
import type { FixedForwardOptions, FixedImageConfig } from './fixed-config.js';

export type MacroFixedConfig = FixedImageConfig;

/** Kernel size and kind of each op id (`MACRO_OPS`). */
const MACRO_OP_KINDS: Record<MacroOpId, { kind: 'conv' | 'sep' | 'avg' | 'max'; k: number }> = {
  0: { kind: 'conv', k: 3 },
  1: { kind: 'sep', k: 3 },
  2: { kind: 'conv', k: 5 },
  3: { kind: 'sep', k: 5 },
  4: { kind: 'avg', k: 3 },
  5: { kind: 'max', k: 3 },
};

function opKey(i: number, op: MacroOpId): string {
  const { kind, k } = MACRO_OP_KINDS[op];
  return kind === 'conv' ? `layer_${i}/conv_${k}x${k}` : kind === 'sep' ? `layer_${i}/sep_conv_${k}x${k}` : `layer_${i}/${kind}_pool`;
}

/** The layer after which the aux head sits (undefined without pool layers). */
function macroAuxLayer(layers: number): number | undefined {
  const pools = macroPoolLayers(layers);
  return pools.length === 0 ? undefined : (pools[pools.length - 1] as number) + 1;
}

export function checkMacroFixedConfig(c: MacroFixedConfig, arch: MacroArchitecture): void {
  const fn = 'macro fixed network';
  const L = arch.layers.length;
  if (!Number.isInteger(c.filters) || c.filters < 2 || c.filters % 2 !== 0)
    throw new Error(`${fn}: filters must be an even integer >= 2 (factorized reductions halve them), got ${c.filters}`);
  if (!(c.keepProb > 0 && c.keepProb <= 1)) throw new Error(`${fn}: keepProb must be in (0, 1] (1 = no dropout), got ${c.keepProb}`);
  if (!Number.isInteger(c.imageSize) || c.imageSize < 4)
    throw new Error(`${fn}: ${c.imageSize}×${c.imageSize} images cannot be halved twice (two pool layers); use at least 4×4`);
  if (c.auxHead && macroAuxLayer(L) === undefined)
    throw new Error(`${fn}: the aux head sits after the last pool layer, and a ${L}-layer network has none (it needs L >= 3)`);
}

export function buildMacroFixed(b: BlockBuilder, c: MacroFixedConfig, arch: MacroArchitecture): void {
  checkMacroFixedConfig(c, arch);
  const L = arch.layers.length;
  const pools = macroPoolLayers(L);
  let C = c.filters;
  let hw = c.imageSize;
  b.conv('stem/w', C, c.inputChannels, 3);
  b.bn('stem/bn', C, true);
  arch.layers.forEach((layer, i) => {
    b.reluConvBn(`layer_${i}/conv_1x1`, C, C);
    const { kind, k } = MACRO_OP_KINDS[layer.op];
    if (kind === 'conv') b.reluConvBn(opKey(i, layer.op), C, C, k);
    else if (kind === 'sep') b.sepConvStack(opKey(i, layer.op), C, C, k, 1);
    if (i > 0) b.reluConvBn(`layer_${i}/skip`, C, (macroSkipSources(arch, i).length + 1) * C);
    if (pools.includes(i)) {
      // The stem and layers 0..i: i + 2 outputs, each reduced.
      for (let j = 0; j < i + 2; j++) b.factorizedReduction(`pool_at_${i}/from_${j}`, C, 2 * C);
      C *= 2;
      hw = Math.ceil(hw / 2);
    }
    if (c.auxHead && i === macroAuxLayer(L)) buildAuxHead(b, C, hw, c.classes, i);
  });
  b.dense('fc/w', C, c.classes);
}

export function macroFixedForward<T>(
  o: CnnOps<T>,
  w: WeightSource<T>,
  c: MacroFixedConfig,
  arch: MacroArchitecture,
  x: T,
  options: FixedForwardOptions,
): CnnOutput<T> {
  const { training } = options;
  const L = arch.layers.length;
  const pools = macroPoolLayers(L);
  const auxLayer = macroAuxLayer(L);
  // The official prev_layers: [stem, layer 0, …]; skip bit j reads entry j.
  let outputs: T[] = [o.scope('stem', () => bnAt(o, w, 'stem/bn', o.conv2d(x, w.slot('stem/w'), { padding: 'same' }), training))];
  let auxLogits: T | undefined;
  arch.layers.forEach((layer, i) => {
    const input = outputs[outputs.length - 1] as T;
    let out = o.scope(`layer_${i}/op`, () => macroOp(o, w, i, layer.op, input, training));
    if (i > 0) {
      const selected = macroSkipSources(arch, i).map((j) => outputs[j] as T);
      const op = out;
      out = o.scope(`layer_${i}/skip`, () =>
        reluConvBn(o, w, `layer_${i}/skip`, selected.length === 0 ? op : o.concat([...selected, op]), training),
      );
    }
    outputs.push(out);
    if (pools.includes(i)) {
      outputs = outputs.map((h, j) =>
        o.scope(`pool_at_${i}/from_${j}`, () => factorizedReduction(o, w, `pool_at_${i}/from_${j}`, h, training)),
      );
    }
    const h = outputs[outputs.length - 1] as T;
    if (c.auxHead && training && i === auxLayer) auxLogits = o.scope('aux_head', () => auxHead(o, w, h));
  });
  const last = outputs[outputs.length - 1] as T;
  const logits = o.scope('head', () => o.linear(o.dropout(o.gap(last), training ? c.keepProb : 1), w.slot('fc/w')));
  return auxLogits === undefined ? { logits } : { logits, auxLogits };
}

function macroOp<T>(o: CnnOps<T>, w: WeightSource<T>, i: number, op: MacroOpId, x: T, training: boolean): T {
  const projected = reluConvBn(o, w, `layer_${i}/conv_1x1`, x, training);
  const { kind } = MACRO_OP_KINDS[op];
  switch (kind) {
    case 'conv':
      return reluConvBn(o, w, opKey(i, op), projected, training);
    case 'sep':
      return sepConvStack(o, w, opKey(i, op), projected, training, 1, 1);
    case 'avg':
      return o.avgPool(projected, { kernelSize: 3, stride: 1, padding: 'same' });
    case 'max':
      return o.maxPool(projected, { kernelSize: 3, stride: 1, padding: 'same' });
  }
}
