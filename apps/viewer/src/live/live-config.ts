/**
 * What a live search in the page runs: a preset, overridable from the URL (`?preset=tiny&nodes=3&autostart=1`), so
 * a link reproduces a configuration and the end-to-end tests can ask for a search small enough for a CPU WebGPU.
 * Pure: no DOM, no GPU.
 */
import type { CnnSearchOptions, MicroSpaceOptions } from '@enas-webgpu/enas';

export type LiveDataset = 'mnist' | 'cifar10';

export interface LiveConfig {
  preset: string;
  dataset: LiveDataset;
  /** L: the shared network has L + 2 cells. */
  layers: number;
  /** B: computed nodes per cell. */
  nodes: number;
  /** C: channels of the first cells (even). */
  filters: number;
  lstmSize: number;
  batchSize: number;
  /** Child steps between controller phases (an "epoch" of the live search; a full pass would take too long). */
  epochSteps: number;
  controllerSteps: number;
  /** Sampled architectures averaged per controller update. */
  aggregate: number;
  seed: number;
  /** Start the search as soon as the page is ready. */
  autostart: boolean;
  /** Pause by itself after this many child steps (0: never). */
  maxSteps: number;
}

const SMALL: LiveConfig = {
  preset: 'small',
  dataset: 'mnist',
  layers: 3,
  nodes: 5,
  filters: 16,
  lstmSize: 64,
  batchSize: 32,
  epochSteps: 50,
  controllerSteps: 10,
  aggregate: 2,
  seed: 1,
  autostart: false,
  maxSteps: 0,
};

/**
 * `small` is the default: the micro space's real structure (B = 5, the official 64-unit controller) at a size a
 * laptop GPU runs at several steps a second. `tiny` is for CPU WebGPU (SwiftShader in the tests), where every
 * pipeline is compiled on the CPU: the smallest network that still has normal and reduction cells.
 */
export const LIVE_PRESETS: Readonly<Record<string, LiveConfig>> = {
  small: SMALL,
  tiny: { ...SMALL, preset: 'tiny', nodes: 2, filters: 4, lstmSize: 16, batchSize: 4, epochSteps: 3, controllerSteps: 1, aggregate: 1 },
};

const INTEGER_KEYS = [
  'layers',
  'nodes',
  'filters',
  'lstmSize',
  'batchSize',
  'epochSteps',
  'controllerSteps',
  'aggregate',
  'seed',
  'maxSteps',
] as const;

/** URL parameter names (short, as people type them) for each integer option. */
const URL_NAMES: Readonly<Record<(typeof INTEGER_KEYS)[number], string>> = {
  layers: 'layers',
  nodes: 'nodes',
  filters: 'filters',
  lstmSize: 'lstm',
  batchSize: 'batch',
  epochSteps: 'epoch',
  controllerSteps: 'ctrl',
  aggregate: 'aggregate',
  seed: 'seed',
  maxSteps: 'maxSteps',
};

/** The preset named by `?preset=` (default small) with any overrides from the URL; a bad value is an error naming it. */
export function liveConfigFromUrl(params: URLSearchParams): LiveConfig {
  const name = params.get('preset') ?? 'small';
  const preset = LIVE_PRESETS[name];
  if (!preset) throw new Error(`URL parameter preset=${name}: unknown preset; use one of ${Object.keys(LIVE_PRESETS).join(', ')}`);
  const config: LiveConfig = { ...preset };
  for (const key of INTEGER_KEYS) {
    const raw = params.get(URL_NAMES[key]);
    if (raw === null) continue;
    const value = Number(raw);
    const min = key === 'seed' || key === 'maxSteps' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`URL parameter ${URL_NAMES[key]}=${raw}: expected an integer >= ${min}`);
    }
    config[key] = value;
  }
  if (config.filters % 2 !== 0) throw new Error(`URL parameter filters=${config.filters}: must be even (reduction cells halve it)`);
  const dataset = params.get('data');
  if (dataset !== null) {
    if (dataset !== 'mnist' && dataset !== 'cifar10') throw new Error(`URL parameter data=${dataset}: use mnist or cifar10`);
    config.dataset = dataset;
  }
  config.autostart = params.get('autostart') === '1';
  return config;
}

/** The micro space for a dataset of `channels` × `imageSize`² images in `classes` classes. */
export function liveSpaceOptions(c: LiveConfig, image: { channels: number; size: number; classes: number }): MicroSpaceOptions {
  return {
    child: {
      layers: c.layers,
      nodes: c.nodes,
      filters: c.filters,
      inputChannels: image.channels,
      imageSize: image.size,
      classes: image.classes,
      keepProb: 0.9,
      auxHead: false,
    },
    controller: { lstmSize: c.lstmSize },
    seed: c.seed,
  };
}

/** The search schedule: the micro search script's optimiser settings, with the live search's short epochs. */
export function liveSearchOptions(c: LiveConfig): CnnSearchOptions {
  return {
    batchSize: c.batchSize,
    lr: { lrMax: 0.05, lrMin: 0.0005, t0: 10, tMul: 2 },
    momentum: 0.9,
    l2: 1e-4,
    auxWeight: 0.4,
    childStepsPerEpoch: c.epochSteps,
    controllerSteps: c.controllerSteps,
    aggregate: c.aggregate,
    controllerLr: 0.0035,
    entropyWeight: 1e-4,
    baselineDecay: 0.99,
    // Digits must not be mirrored; CIFAR images may.
    augment: c.dataset === 'mnist' ? { pad: 2, flip: false, cutout: 0 } : { pad: 4, flip: true, cutout: 0 },
    seed: c.seed,
    // The probability maps read the controller's log after each step: it must still hold that step's child.
    sampleAhead: false,
  };
}
