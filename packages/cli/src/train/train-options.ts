/**
 * `enas train` options: a training preset of the enas package (paper-micro-final, paper-macro-final, tiny; see
 * its train/presets.ts) flattened into one record, with every value overridable by a flag. The resolved record
 * (the architecture included) is stored in config.json, so a run can be resumed, evaluated and reproduced.
 */
import {
  FIXED_PRESET_NAMES,
  type FixedPlan,
  type FixedPreset,
  fixedPreset,
  type ImageShape,
  type MacroArchitecture,
  type MicroArchitecture,
  parseArchitecture,
  planFixedTraining,
} from '@enas-webgpu/enas';
import { applyOverrides, type OverrideSpec } from '../run/overrides.js';
import { UsageError } from '../run-cli.js';

export type TrainSpaceName = 'micro' | 'macro';

export interface ResolvedTrainOptions {
  space: TrainSpaceName;
  preset: string;
  /** The architecture trained, as its arc string. */
  arc: string;
  epochs: number;
  batchSize: number;
  /** Micro: L (L + 2 cells). Macro: the arc's layer count. */
  layers: number;
  filters: number;
  keepProb: number;
  /** Micro drop-path keep probability p (1 = off). */
  dropPathKeep: number;
  auxHead: boolean;
  auxWeight: number;
  lrMax: number;
  lrMin: number;
  lrT0: number;
  lrTMul: number;
  l2: number;
  momentum: number;
  /** 0 = no clipping. */
  clipNorm: number;
  augmentPad: number;
  augmentFlip: boolean;
  cutout: number;
  evalBatchSize: number;
  /** Test evaluation every N epochs (and after the last); 0 = after the last only. */
  evalEvery: number;
  /** Limit the training images (0 = all), for quick runs. */
  trainSize: number;
  /** Records per CIFAR-10 file (0 = 10 000, the real files); for subsets written in the same format. */
  cifarRecords: number;
  /** Also checkpoint every N steps (0 = at the end of each epoch only). */
  checkpointEvery: number;
  seed: number;
}

export const TRAIN_OVERRIDES: Record<string, OverrideSpec<keyof ResolvedTrainOptions>> = {
  epochs: { key: 'epochs', kind: 'int', min: 1, help: 'epochs over the training images' },
  batchSize: { key: 'batchSize', kind: 'int', min: 1, help: 'training minibatch size' },
  layers: { key: 'layers', kind: 'int', min: 1, help: 'micro: L (L + 2 cells); macro: must equal the arc’s layer count' },
  filters: { key: 'filters', kind: 'int', min: 2, help: 'channels of the first cells or layers (even)' },
  keepProb: { key: 'keepProb', kind: 'number', min: 0.01, max: 1, help: 'dropout keep probability before the classifier' },
  dropPathKeep: { key: 'dropPathKeep', kind: 'number', min: 0.01, max: 1, help: 'micro: drop-path keep probability (1 = off)' },
  auxWeight: { key: 'auxWeight', kind: 'number', min: 0, help: 'weight of the auxiliary head loss' },
  lrMax: { key: 'lrMax', kind: 'number', min: 0, help: 'SGDR maximum learning rate' },
  lrMin: { key: 'lrMin', kind: 'number', min: 0, help: 'SGDR minimum learning rate' },
  lrT0: { key: 'lrT0', kind: 'int', min: 1, help: 'SGDR first period (epochs)' },
  lrTMul: { key: 'lrTMul', kind: 'int', min: 1, help: 'SGDR period multiplier' },
  l2: { key: 'l2', kind: 'number', min: 0, help: 'L2 coefficient (loss term l2·Σw²)' },
  momentum: { key: 'momentum', kind: 'number', min: 0, max: 0.999999, help: 'Nesterov momentum' },
  clipNorm: { key: 'clipNorm', kind: 'number', min: 0, help: 'global-norm gradient clipping (0 = off)' },
  augmentPad: { key: 'augmentPad', kind: 'int', min: 0, max: 8, help: 'random-crop padding in pixels (0 = no crop)' },
  cutout: { key: 'cutout', kind: 'int', min: 0, help: 'cutout square size (0 = off)' },
  evalBatchSize: { key: 'evalBatchSize', kind: 'int', min: 1, help: 'evaluation batch size' },
  evalEvery: { key: 'evalEvery', kind: 'int', min: 0, help: 'test evaluation every N epochs (0 = after the last only)' },
  trainSize: { key: 'trainSize', kind: 'int', min: 0, help: 'use only this many training images (0 = all)' },
  cifarRecords: { key: 'cifarRecords', kind: 'int', min: 0, help: 'records per CIFAR-10 file (0 = 10000; for subsets in the same format)' },
  checkpointEvery: { key: 'checkpointEvery', kind: 'int', min: 0, help: 'also checkpoint every N steps (0 = per epoch)' },
  seed: { key: 'seed', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'random seed (weights, data order)' },
};

/** The architecture named by --arc or --arc-file (already read), parsed for `space`. */
export function parseTrainArc(space: TrainSpaceName, text: string, where: string): MicroArchitecture | MacroArchitecture {
  try {
    return parseArchitecture(space, text) as MicroArchitecture | MacroArchitecture;
  } catch (e) {
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
}

function preset(name: string): FixedPreset {
  try {
    return fixedPreset(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Preset values for the architecture's space, with command-line overrides applied and checked. */
export function resolveTrainOptions(
  presetName: string,
  arch: MicroArchitecture | MacroArchitecture,
  arc: string,
  given: Record<string, unknown>,
): ResolvedTrainOptions {
  const p = preset(presetName);
  const settings = p[arch.space];
  if (!settings) {
    const other = FIXED_PRESET_NAMES.filter((n) => fixedPreset(n)[arch.space]).join(', ');
    throw new UsageError(`preset '${presetName}' does not train the ${arch.space} space; for a ${arch.space} arc use ${other}`);
  }
  const t = p.training;
  const o: ResolvedTrainOptions = {
    space: arch.space,
    preset: p.name,
    arc,
    epochs: t.epochs,
    batchSize: t.batchSize,
    layers: arch.space === 'macro' ? (settings.layers ?? arch.layers.length) : (settings.layers ?? 3),
    filters: settings.filters,
    keepProb: settings.keepProb,
    dropPathKeep: settings.dropPathKeep,
    auxHead: settings.auxHead,
    auxWeight: t.auxWeight,
    lrMax: t.lr.lrMax,
    lrMin: t.lr.lrMin,
    lrT0: t.lr.t0,
    lrTMul: t.lr.tMul,
    l2: t.l2,
    momentum: t.momentum,
    clipNorm: t.clipNorm ?? 0,
    augmentPad: t.augment.pad,
    augmentFlip: t.augment.flip,
    cutout: t.augment.cutout,
    evalBatchSize: t.evalBatchSize,
    evalEvery: 1,
    trainSize: 0,
    cifarRecords: 0,
    checkpointEvery: 0,
    seed: t.seed,
  };
  applyOverrides(o, TRAIN_OVERRIDES, given);
  // commander sets `aux` to true unless --no-aux is given: only `false` overrides the preset. `flip` is undefined
  // unless --flip or --no-flip is given.
  if (given.aux === false) o.auxHead = false;
  if (given.flip !== undefined) o.augmentFlip = Boolean(given.flip);
  if (o.filters % 2 !== 0) throw new UsageError(`--filters ${o.filters}: must be even (factorized reductions halve the channels)`);
  if (o.lrMin > o.lrMax) throw new UsageError(`--lr-min ${o.lrMin} is above --lr-max ${o.lrMax}`);
  // The preset's checks (space, nodes per cell, macro layer count) before anything is loaded or written.
  planTraining(o, arch, { channels: 3, size: 32, classes: 10 }, given.layers !== undefined);
  return o;
}

/** The enas plan (network spec and training options) of resolved options on a dataset's images. */
export function planTraining(
  o: ResolvedTrainOptions,
  arch: MicroArchitecture | MacroArchitecture,
  image: ImageShape,
  layersGiven = true,
): FixedPlan {
  try {
    return planFixedTraining({
      preset: o.preset as FixedPreset['name'],
      arch,
      image,
      // A macro network has its arc's layers: a count is checked only when the user gave one (or resumed).
      network: {
        filters: o.filters,
        keepProb: o.keepProb,
        dropPathKeep: o.dropPathKeep,
        auxHead: o.auxHead,
        ...(arch.space === 'micro' || layersGiven ? { layers: o.layers } : {}),
      },
      training: {
        batchSize: o.batchSize,
        epochs: o.epochs,
        lr: { lrMax: o.lrMax, lrMin: o.lrMin, t0: o.lrT0, tMul: o.lrTMul },
        momentum: o.momentum,
        l2: o.l2,
        clipNorm: o.clipNorm > 0 ? o.clipNorm : undefined,
        auxWeight: o.auxWeight,
        augment: { pad: o.augmentPad, flip: o.augmentFlip, cutout: o.cutout },
        evalBatchSize: o.evalBatchSize,
        seed: o.seed,
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
