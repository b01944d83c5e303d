/**
 * Search presets and option resolution. `paper-micro` and `paper-macro` are the official scripts
 * (melodyguan/enas scripts/cifar10_{micro,macro}_search.sh, reference notes a.2, a.3); `tiny` is a CPU-sized
 * search that finishes in minutes. Every value can be overridden by an option; the resolved options are stored in
 * config.json so that a run can be resumed and reproduced.
 */
import { applyOverrides, kebab, type OverrideSpec } from '../run/overrides.js';
import { UsageError } from '../run-cli.js';

export { kebab };

export type SearchSpaceName = 'micro' | 'macro';

export interface ResolvedSearchOptions {
  space: SearchSpaceName;
  preset: string;
  epochs: number;
  batchSize: number;
  layers: number;
  nodes: number;
  filters: number;
  keepProb: number;
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
  /** Child steps per epoch; 0 = one pass over the training images. */
  childSteps: number;
  controllerSteps: number;
  aggregate: number;
  controllerLr: number;
  entropyWeight: number;
  baselineDecay: number;
  tanhConstant: number;
  opTanhReduce: number;
  lstmSize: number;
  skipTarget: number;
  skipWeight: number;
  augmentPad: number;
  augmentFlip: boolean;
  cutout: number;
  /** Architectures scored at the end of each epoch (the official code prints 10). */
  deriveEvery: number;
  /** Architectures scored by the final derive. */
  deriveSamples: number;
  /** Limit the training images (0 = all), for quick runs. */
  trainSize: number;
  /** Training images held out for the controller's reward (0 = the dataset's default: 5000 CIFAR-10, 1000 MNIST). */
  validSize: number;
  /** Records per CIFAR-10 file (0 = 10 000, the real files); for subsets written in the same format. */
  cifarRecords: number;
  checkpointEvery: number;
  seed: number;
}

const COMMON = {
  momentum: 0.9,
  clipNorm: 0,
  auxWeight: 0.4,
  lrMax: 0.05,
  lrMin: 0.0005,
  lrT0: 10,
  lrTMul: 2,
  entropyWeight: 1e-4,
  baselineDecay: 0.99,
  lstmSize: 64,
  opTanhReduce: 2.5,
  skipTarget: 0.4,
  skipWeight: 0.8,
  augmentPad: 4,
  augmentFlip: true,
  cutout: 0,
  childSteps: 0,
  deriveEvery: 10,
  deriveSamples: 100,
  trainSize: 0,
  validSize: 0,
  cifarRecords: 0,
  checkpointEvery: 0,
  seed: 1,
} as const;

export const SEARCH_PRESETS: Record<string, Omit<ResolvedSearchOptions, 'preset'>> = {
  'paper-micro': {
    ...COMMON,
    space: 'micro',
    epochs: 150,
    batchSize: 160,
    layers: 6,
    nodes: 5,
    filters: 20,
    keepProb: 0.9,
    auxHead: true,
    l2: 1e-4,
    controllerSteps: 30,
    aggregate: 10,
    controllerLr: 0.0035,
    tanhConstant: 1.1,
  },
  'paper-macro': {
    ...COMMON,
    space: 'macro',
    epochs: 310,
    batchSize: 128,
    layers: 12,
    nodes: 5,
    filters: 36,
    keepProb: 0.9,
    auxHead: false,
    l2: 2.5e-4,
    controllerSteps: 50,
    aggregate: 20,
    controllerLr: 0.001,
    tanhConstant: 1.5,
  },
  // A few minutes on a 2-core CPU running WebGPU through lavapipe (about 0.5 s per child step): small network,
  // short epochs, few samples, and a higher learning rate so the shared weights learn within the run.
  tiny: {
    ...COMMON,
    space: 'micro',
    epochs: 5,
    batchSize: 24,
    layers: 3,
    nodes: 3,
    filters: 8,
    keepProb: 0.9,
    auxHead: false,
    l2: 1e-4,
    childSteps: 20,
    controllerSteps: 3,
    aggregate: 3,
    controllerLr: 0.0035,
    tanhConstant: 1.1,
    lstmSize: 32,
    lrMax: 0.1,
    lrT0: 2,
    lrTMul: 2,
    augmentPad: 2,
    deriveEvery: 3,
    deriveSamples: 8,
    trainSize: 4000,
  },
};

/** The option flags of `enas search` that override preset values, with how to parse them. */
export const OVERRIDES: Record<string, OverrideSpec<keyof ResolvedSearchOptions>> = {
  epochs: { key: 'epochs', kind: 'int', min: 1, help: 'epochs (each: child steps, then controller updates)' },
  batchSize: { key: 'batchSize', kind: 'int', min: 1, help: 'child minibatch size (also the validation batch of a reward)' },
  layers: { key: 'layers', kind: 'int', min: 1, help: 'L: micro has L + 2 cells; macro has L layers' },
  nodes: { key: 'nodes', kind: 'int', min: 2, max: 12, help: 'B: computed nodes per micro cell' },
  filters: { key: 'filters', kind: 'int', min: 2, help: 'channels of the first cells (even)' },
  keepProb: { key: 'keepProb', kind: 'number', min: 0.01, max: 1, help: 'dropout keep probability before the classifier' },
  auxWeight: { key: 'auxWeight', kind: 'number', min: 0, help: 'weight of the auxiliary head loss' },
  lrMax: { key: 'lrMax', kind: 'number', min: 0, help: 'SGDR maximum learning rate' },
  lrMin: { key: 'lrMin', kind: 'number', min: 0, help: 'SGDR minimum learning rate' },
  lrT0: { key: 'lrT0', kind: 'int', min: 1, help: 'SGDR first period (epochs)' },
  lrTMul: { key: 'lrTMul', kind: 'int', min: 1, help: 'SGDR period multiplier' },
  l2: { key: 'l2', kind: 'number', min: 0, help: 'L2 coefficient (loss term l2·Σw²)' },
  momentum: { key: 'momentum', kind: 'number', min: 0, max: 0.999999, help: 'Nesterov momentum' },
  clipNorm: { key: 'clipNorm', kind: 'number', min: 0, help: 'global-norm gradient clipping of the child (0 = off)' },
  childSteps: { key: 'childSteps', kind: 'int', min: 0, help: 'child steps per epoch (0 = one pass over the training images)' },
  controllerSteps: { key: 'controllerSteps', kind: 'int', min: 0, help: 'controller updates per epoch' },
  aggregate: { key: 'aggregate', kind: 'int', min: 1, help: 'sampled architectures averaged per controller update' },
  controllerLr: { key: 'controllerLr', kind: 'number', min: 0, help: 'controller Adam learning rate' },
  entropyWeight: { key: 'entropyWeight', kind: 'number', min: 0, help: 'entropy bonus added to the reward' },
  baselineDecay: { key: 'baselineDecay', kind: 'number', min: 0, max: 1, help: 'moving-average baseline decay' },
  tanhConstant: { key: 'tanhConstant', kind: 'number', min: 0, help: "controller logits' tanh constant" },
  opTanhReduce: { key: 'opTanhReduce', kind: 'number', min: 1, help: 'micro: op logits use tanhConstant / this' },
  lstmSize: { key: 'lstmSize', kind: 'int', min: 1, help: 'controller LSTM size' },
  skipTarget: { key: 'skipTarget', kind: 'number', min: 0, max: 1, help: 'macro: skip KL penalty target' },
  skipWeight: { key: 'skipWeight', kind: 'number', min: 0, help: 'macro: skip KL penalty weight' },
  augmentPad: { key: 'augmentPad', kind: 'int', min: 0, max: 8, help: 'random-crop padding in pixels (0 = no crop)' },
  cutout: { key: 'cutout', kind: 'int', min: 0, help: 'cutout square size (0 = off)' },
  deriveEvery: { key: 'deriveEvery', kind: 'int', min: 0, help: 'architectures scored at the end of each epoch' },
  deriveSamples: { key: 'deriveSamples', kind: 'int', min: 1, help: 'architectures scored by the final derive' },
  trainSize: { key: 'trainSize', kind: 'int', min: 0, help: 'use only this many training images (0 = all)' },
  validSize: { key: 'validSize', kind: 'int', min: 0, help: 'training images held out for the reward (0 = 5000 CIFAR-10, 1000 MNIST)' },
  cifarRecords: { key: 'cifarRecords', kind: 'int', min: 0, help: 'records per CIFAR-10 file (0 = 10000; for subsets in the same format)' },
  checkpointEvery: { key: 'checkpointEvery', kind: 'int', min: 0, help: 'also checkpoint every N child steps (0 = per epoch)' },
  seed: { key: 'seed', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'random seed (weights, data order, sampling)' },
};

/** Preset values with command-line overrides applied and checked. */
export function resolveSearchOptions(
  presetName: string,
  space: SearchSpaceName | undefined,
  given: Record<string, unknown>,
): ResolvedSearchOptions {
  const preset = SEARCH_PRESETS[presetName];
  if (!preset) throw new UsageError(`unknown preset '${presetName}'; choose one of ${Object.keys(SEARCH_PRESETS).join(', ')}`);
  const o: ResolvedSearchOptions = { ...preset, preset: presetName };
  if (space) o.space = space;
  applyOverrides(o, OVERRIDES, given);
  if (given.aux !== undefined) o.auxHead = Boolean(given.aux);
  if (given.flip !== undefined) o.augmentFlip = Boolean(given.flip);
  if (o.filters % 2 !== 0) throw new UsageError(`--filters ${o.filters}: must be even (factorized reduction halves the channels)`);
  if (o.lrMin > o.lrMax) throw new UsageError(`--lr-min ${o.lrMin} is above --lr-max ${o.lrMax}`);
  return o;
}
