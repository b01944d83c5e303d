/**
 * Presets of a from-scratch training, and how an architecture, a preset and a dataset's image shape become a
 * network spec and training options (with the mismatches caught and explained).
 *
 *   paper-micro-final   melodyguan/enas `scripts/cifar10_micro_final.sh`: 15 layers (17 cells), 5 nodes,
 *                       36 filters, batch 144, 630 epochs, l2 2e-4, keep 0.8, drop-path keep 0.6, aux head
 *                       (weight 0.4), cutout 16, SGDR 0.05 → 0.0001 (T₀ 10, T_mul 2: 630 is a restart boundary)
 *   paper-macro-final   `scripts/cifar10_macro_final.sh`: 24 layers, 96 filters, batch 100, 310 epochs,
 *                       l2 2e-4, keep 0.5, SGDR 0.05 → 0.001; no cutout and no aux head (the script sets no
 *                       cutout, and GeneralChild ignores `--child_use_aux_heads`), no drop-path (macro has none)
 *   tiny                either space, a few minutes on a CPU adapter: 8 filters, micro 3 layers (5 cells),
 *                       macro as many layers as the arc has; 2 epochs of batch 32; aux head and drop-path on
 *
 * Both paper presets: SGD Nesterov 0.9, no gradient clipping, pad-4 crop and flip, evaluation batches of 100.
 */
import type { MacroArchitecture } from '../arch/macro.js';
import type { MicroArchitecture } from '../arch/micro.js';
import type { FixedNetworkSpec } from '../fixed/fixed-network.js';
import type { FixedTrainingOptions } from './fixed-training.js';

export const FIXED_PRESET_NAMES = ['paper-micro-final', 'paper-macro-final', 'tiny'] as const;
export type FixedPresetName = (typeof FIXED_PRESET_NAMES)[number];

export interface FixedNetworkSettings {
  readonly filters: number;
  /** Dropout keep probability before the classifier. */
  readonly keepProb: number;
  /** Micro only: drop-path keep probability p (1: off). */
  readonly dropPathKeep: number;
  readonly auxHead: boolean;
  /** Micro: L (L + 2 cells). Macro: the arc's layer count is the network's; a number here is required of it. */
  readonly layers?: number;
}

export interface FixedPreset {
  readonly name: FixedPresetName;
  /** Micro: nodes per cell the arc must have (`--child_num_cells`); undefined: any. */
  readonly nodes?: number;
  /** The network settings for each space the preset trains (a preset without one refuses that space). */
  readonly micro?: FixedNetworkSettings;
  readonly macro?: FixedNetworkSettings;
  readonly training: FixedTrainingOptions;
}

const PAPER_TRAINING = {
  momentum: 0.9,
  l2: 2e-4,
  auxWeight: 0.4,
  evalBatchSize: 100,
  seed: 1,
} as const;

export const FIXED_PRESETS: Readonly<Record<FixedPresetName, FixedPreset>> = {
  'paper-micro-final': {
    name: 'paper-micro-final',
    nodes: 5,
    micro: { layers: 15, filters: 36, keepProb: 0.8, dropPathKeep: 0.6, auxHead: true },
    training: {
      ...PAPER_TRAINING,
      batchSize: 144,
      epochs: 630,
      lr: { lrMax: 0.05, lrMin: 0.0001, t0: 10, tMul: 2 },
      augment: { pad: 4, flip: true, cutout: 16 },
    },
  },
  'paper-macro-final': {
    name: 'paper-macro-final',
    macro: { layers: 24, filters: 96, keepProb: 0.5, dropPathKeep: 1, auxHead: false },
    training: {
      ...PAPER_TRAINING,
      batchSize: 100,
      epochs: 310,
      lr: { lrMax: 0.05, lrMin: 0.001, t0: 10, tMul: 2 },
      augment: { pad: 4, flip: true, cutout: 0 },
    },
  },
  tiny: {
    name: 'tiny',
    micro: { layers: 3, filters: 8, keepProb: 0.9, dropPathKeep: 0.8, auxHead: true },
    macro: { filters: 8, keepProb: 0.9, dropPathKeep: 1, auxHead: true },
    training: {
      ...PAPER_TRAINING,
      batchSize: 32,
      epochs: 2,
      lr: { lrMax: 0.05, lrMin: 0.001, t0: 2, tMul: 2 },
      augment: { pad: 4, flip: true, cutout: 0 },
    },
  },
};

export interface ImageShape {
  readonly channels: number;
  readonly size: number;
  readonly classes: number;
}

export interface FixedPlanRequest {
  readonly preset: FixedPresetName | FixedPreset;
  readonly arch: MicroArchitecture | MacroArchitecture;
  readonly image: ImageShape;
  /** Network settings that replace the preset's (command-line overrides). */
  readonly network?: Partial<FixedNetworkSettings>;
  /** Training options that replace the preset's. */
  readonly training?: Partial<FixedTrainingOptions>;
}

export interface FixedPlan {
  readonly preset: FixedPresetName;
  readonly spec: FixedNetworkSpec;
  readonly training: FixedTrainingOptions;
}

export function fixedPreset(name: string): FixedPreset {
  const preset = (FIXED_PRESETS as Record<string, FixedPreset>)[name];
  if (!preset) throw new Error(`unknown training preset '${name}'; the presets are ${FIXED_PRESET_NAMES.join(', ')}`);
  return preset;
}

/** The network spec and training options of an architecture under a preset; mismatches throw with the fix. */
export function planFixedTraining(r: FixedPlanRequest): FixedPlan {
  const preset = typeof r.preset === 'string' ? fixedPreset(r.preset) : r.preset;
  const space = r.arch.space;
  const base = preset[space];
  if (!base) {
    throw new Error(
      `preset '${preset.name}' does not train the ${space} space (the architecture is a ${space} one); ` +
        `use --preset ${space === 'micro' ? 'paper-micro-final' : 'paper-macro-final'} or tiny`,
    );
  }
  const settings = { ...base, ...r.network };
  const training = { ...preset.training, ...r.training };
  const image = { inputChannels: r.image.channels, imageSize: r.image.size, classes: r.image.classes };
  const common = { ...image, filters: settings.filters, keepProb: settings.keepProb, auxHead: settings.auxHead };
  if (r.arch.space === 'micro') {
    const nodes = r.arch.normal.length;
    if (preset.nodes !== undefined && nodes !== preset.nodes) {
      throw new Error(
        `preset '${preset.name}' trains cells of ${preset.nodes} nodes (--child_num_cells=${preset.nodes}), and the arc has ` +
          `${nodes} per cell (${8 * nodes} integers); pass an arc of ${8 * preset.nodes} integers, or use --preset tiny`,
      );
    }
    const layers = settings.layers ?? 3;
    return {
      preset: preset.name,
      spec: { space: 'micro', arch: r.arch, config: { ...common, layers, dropPathKeep: settings.dropPathKeep } },
      training,
    };
  }
  const L = r.arch.layers.length;
  if (settings.layers !== undefined && settings.layers !== L) {
    throw new Error(
      `${r.network?.layers !== undefined ? '--layers' : `preset '${preset.name}'`} requires a ${settings.layers}-layer macro arc ` +
        `(${(settings.layers * (settings.layers + 1)) / 2} integers), and the arc has ${L} layers (${(L * (L + 1)) / 2} integers); ` +
        'a macro network has exactly the layers of its arc (use --preset tiny for any length)',
    );
  }
  return { preset: preset.name, spec: { space: 'macro', arch: r.arch, config: common }, training };
}
