/**
 * A micro-space architecture as a network with its own parameters, trained from scratch (official
 * `micro_child.py` with `--child_fixed_arc`: `_model`, `_fixed_layer`, `_fixed_conv`, `_fixed_combine`,
 * `_maybe_calibrate_size`, `_apply_drop_path`; reference notes a.3):
 *
 *   stem        conv 3×3 (3 → 3C) → BN
 *   L + 2 cells reduction cells at [L/3, 2·L/3 + 1] (`microReductionLayers`) double C; the others keep it
 *   head        ReLU → global average pool → dropout → FC (no bias)
 *   aux head    training only, after cell [2·L/3 + 1] + 1: the search network's (`auxHead`)
 *
 * One cell, from the two previous cell outputs h[-2], h[-1]:
 *
 *   calibrate   h[-2]: twice the size of h[-1] → ReLU → factorized reduction to C; else ≠ C channels →
 *               ReLU → 1×1 conv → BN. h[-1]: ≠ C channels → ReLU → 1×1 conv → BN.
 *   layer_base  h[-1] again: ReLU → 1×1 conv → BN, always (the official code does it even at C channels).
 *   nodes       node k = op(in₁) + op(in₂). In a reduction cell the ops that read a cell input (index 0 or 1)
 *               stride 2: separable convs on their first depthwise, pools by their stride, identity becomes a
 *               factorized reduction; ops reading computed nodes (already half size) stride 1. In training
 *               every op but identity is followed by drop-path (`dropPathKeep`).
 *   output      concatenation of the indices no node reads, cell inputs included (a reduction cell first
 *               halves an unused input with a factorized reduction): (#unused)·C channels, brought back to C by
 *               the next cell's calibration. No projection here, unlike the search cell.
 *
 * After calibration every cell input has C channels, so the official 1×1 convs that ops add when their input
 * has another width never run; they are left out. Batch norms keep running averages: batch statistics in
 * training, the averages in evaluation. The aux head's weights train (the official optimizer list leaves them
 * out, a.5.4), and its BNs run on batch statistics as in the official code.
 */
import type { MicroArchitecture, MicroCell, MicroOpId } from '../arch/micro.js';
import { microCellOutputs } from '../arch/micro.js';
import { type BlockBuilder, bnAt, factorizedReduction, reluConvBn, sepConvStack } from '../cnn/blocks.js';
import type { CnnOps, WeightSource } from '../cnn/ops.js';
import { auxHead, buildAuxHead, type CnnOutput, microReductionLayers, SEP_KERNELS } from '../micro/search-network.js';
import { dropPathKeep } from './drop-path.js';
import type { FixedForwardOptions, FixedImageConfig } from './fixed-config.js';

export interface MicroFixedConfig extends FixedImageConfig {
  /** L: the network has L + 2 cells (15 in the final script). */
  readonly layers: number;
  /** Drop-path keep probability p of the schedule (0.6 in the final script); 1 turns drop-path off. */
  readonly dropPathKeep: number;
}

/** The key of the op on side `side` (0: x, 1: y) of node `j` of cell `l`, as the official variable scopes. */
const opKey = (l: number, j: number, side: number) => `layer_${l}/cell_${j}/${side === 0 ? 'x' : 'y'}_conv`;

/** Channels and spatial size of a tensor, as the builder tracks them. */
interface Extent {
  c: number;
  hw: number;
}

export function checkMicroFixedConfig(c: MicroFixedConfig, arch: MicroArchitecture): void {
  const fn = 'micro fixed network';
  if (!Number.isInteger(c.layers) || c.layers < 1) throw new Error(`${fn}: layers must be an integer >= 1 (L + 2 cells), got ${c.layers}`);
  if (!Number.isInteger(c.filters) || c.filters < 2 || c.filters % 2 !== 0)
    throw new Error(`${fn}: filters must be an even integer >= 2 (factorized reductions halve them), got ${c.filters}`);
  if (!(c.dropPathKeep > 0 && c.dropPathKeep <= 1))
    throw new Error(`${fn}: dropPathKeep must be in (0, 1] (1 = off), got ${c.dropPathKeep}`);
  if (!(c.keepProb > 0 && c.keepProb <= 1)) throw new Error(`${fn}: keepProb must be in (0, 1] (1 = no dropout), got ${c.keepProb}`);
  if (arch.normal.length !== arch.reduction.length)
    throw new Error(`${fn}: the normal and reduction cells have ${arch.normal.length} and ${arch.reduction.length} nodes`);
  if (!Number.isInteger(c.imageSize) || c.imageSize < 4)
    throw new Error(`${fn}: ${c.imageSize}×${c.imageSize} images cannot be halved twice (two reduction cells); use at least 4×4`);
}

/** Creates every parameter and running average of the network (the same keys the forward reads). */
export function buildMicroFixed(b: BlockBuilder, c: MicroFixedConfig, arch: MicroArchitecture): void {
  checkMicroFixedConfig(c, arch);
  const reductions = microReductionLayers(c.layers);
  const auxLayer = (reductions[1] as number) + 1;
  let C = c.filters;
  b.conv('stem/w', 3 * C, c.inputChannels, 3);
  b.bn('stem/bn', 3 * C, true);
  let prev: Extent = { c: 3 * C, hw: c.imageSize };
  let cur: Extent = { c: 3 * C, hw: c.imageSize };
  for (let l = 0; l < c.layers + 2; l++) {
    const reduce = reductions.includes(l);
    if (reduce) C *= 2;
    const cell = reduce ? arch.reduction : arch.normal;
    const key = `layer_${l}`;
    if (prev.hw !== cur.hw) b.factorizedReduction(`${key}/calibrate/pool_x`, prev.c, C);
    else if (prev.c !== C) b.reluConvBn(`${key}/calibrate/pool_x`, C, prev.c);
    if (cur.c !== C) b.reluConvBn(`${key}/calibrate/pool_y`, C, cur.c);
    b.reluConvBn(`${key}/layer_base`, C, C);
    cell.forEach((node, j) => {
      for (const side of [0, 1]) {
        const op = node.ops[side] as MicroOpId;
        const strided = reduce && (node.inputs[side] as number) < 2;
        if (op === 0 || op === 1) b.sepConvStack(opKey(l, j, side), C, C, SEP_KERNELS[op]);
        else if (op === 4 && strided) b.factorizedReduction(opKey(l, j, side), C, C);
      }
    });
    const outputs = microCellOutputs(cell);
    if (reduce) for (const i of outputs) if (i < 2) b.factorizedReduction(`${key}/final_combine/calibrate_${i}`, C, C);
    prev = cur;
    cur = { c: outputs.length * C, hw: reduce ? Math.ceil(cur.hw / 2) : cur.hw };
    if (c.auxHead && l === auxLayer) buildAuxHead(b, cur.c, cur.hw, c.classes, l);
  }
  b.dense('fc/w', cur.c, c.classes);
}

/** The forward pass over any CnnOps (written once for the GPU, the float64 twin and the cost counter). */
export function microFixedForward<T>(
  o: CnnOps<T>,
  w: WeightSource<T>,
  c: MicroFixedConfig,
  arch: MicroArchitecture,
  x: T,
  options: FixedForwardOptions,
): CnnOutput<T> {
  const { training } = options;
  const reductions = microReductionLayers(c.layers);
  const auxLayer = (reductions[1] as number) + 1;
  const cells = c.layers + 2;
  let C = c.filters;
  const stem = o.scope('stem', () => bnAt(o, w, 'stem/bn', o.conv2d(x, w.slot('stem/w'), { padding: 'same' }), training));
  let layers: [T, T] = [stem, stem];
  let auxLogits: T | undefined;
  for (let l = 0; l < cells; l++) {
    const reduce = reductions.includes(l);
    if (reduce) C *= 2;
    // Drop-path is off outside training and when the schedule keeps everything (the op then records nothing).
    const keep = training && c.dropPathKeep < 1 ? dropPathKeep(l, cells, c.dropPathKeep, options.progress) : 1;
    const h = fixedCell(o, w, l, layers, reduce ? arch.reduction : arch.normal, { C, reduce, training, keep });
    layers = [layers[1], h];
    if (c.auxHead && training && l === auxLayer) auxLogits = o.scope('aux_head', () => auxHead(o, w, h));
  }
  const last = layers[1];
  const logits = o.scope('head', () => o.linear(o.dropout(o.gap(o.relu(last)), training ? c.keepProb : 1), w.slot('fc/w')));
  return auxLogits === undefined ? { logits } : { logits, auxLogits };
}

interface CellContext {
  C: number;
  reduce: boolean;
  training: boolean;
  /** Drop-path keep probability of this cell's paths (1: none). */
  keep: number;
}

function fixedCell<T>(o: CnnOps<T>, w: WeightSource<T>, l: number, [x, y]: [T, T], arc: MicroCell, s: CellContext): T {
  const key = `layer_${l}`;
  const { C, training } = s;
  const nodes: T[] = o.scope(`${key}/calibrate`, () => {
    const sizeX = o.shape(x)[2] as number;
    const sizeY = o.shape(y)[2] as number;
    let cx = x;
    if (sizeX !== sizeY) {
      if (sizeX !== 2 * sizeY)
        throw new Error(`micro fixed network: layer ${l} inputs are ${sizeX}×${sizeX} and ${sizeY}×${sizeY}; expected a 2:1 ratio`);
      cx = factorizedReduction(o, w, `${key}/calibrate/pool_x`, x, training, true);
    } else if (o.shape(x)[1] !== C) cx = reluConvBn(o, w, `${key}/calibrate/pool_x`, x, training);
    const cy = o.shape(y)[1] !== C ? reluConvBn(o, w, `${key}/calibrate/pool_y`, y, training) : y;
    return [cx, reluConvBn(o, w, `${key}/layer_base`, cy, training)];
  });
  arc.forEach((node, j) => {
    const branch = (side: 0 | 1) =>
      o.scope(`${key}/cell_${j}/${side === 0 ? 'x' : 'y'}`, () => {
        const input = node.inputs[side];
        const h = nodes[input];
        if (h === undefined) throw new Error(`micro fixed network: node ${j + 2} of layer ${l} reads ${input}, which does not exist yet`);
        const op = node.ops[side];
        const out = fixedOp(o, w, opKey(l, j, side), h, op, s.reduce && input < 2 ? 2 : 1, training);
        // `_fixed_layer`: drop-path after every op but identity (a strided identity, a factorized reduction, too).
        return op !== 4 && s.keep < 1 ? o.dropPath(out, s.keep) : out;
      });
    const bx = branch(0);
    const by = branch(1);
    nodes.push(o.scope(`${key}/cell_${j}`, () => o.add(bx, by)));
  });
  return o.scope(`${key}/final_combine`, () => {
    const outSize = o.shape(nodes[nodes.length - 1] as T)[2];
    const parts = microCellOutputs(arc).map((i) => {
      const h = nodes[i] as T;
      return o.shape(h)[2] !== outSize ? factorizedReduction(o, w, `${key}/final_combine/calibrate_${i}`, h, training) : h;
    });
    return parts.length === 1 ? (parts[0] as T) : o.concat(parts);
  });
}

function fixedOp<T>(o: CnnOps<T>, w: WeightSource<T>, key: string, x: T, op: MicroOpId, stride: number, training: boolean): T {
  switch (op) {
    case 0:
    case 1:
      return sepConvStack(o, w, key, x, training, stride);
    case 2:
      return o.avgPool(x, { kernelSize: 3, stride, padding: 'same' });
    case 3:
      return o.maxPool(x, { kernelSize: 3, stride, padding: 'same' });
    case 4:
      return stride === 1 ? x : factorizedReduction(o, w, key, x, training);
  }
}
