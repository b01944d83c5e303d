/**
 * The macro (whole network) search space of ENAS for CIFAR-10 (melodyguan/enas `src/cifar10/general_child.py`,
 * `general_controller.py`; README "macro search space").
 *
 * L layers in a chain; layer i (0-based) applies one op to the previous layer's output and may also receive skip
 * connections. The arc string is, per layer i: the op id, then i skip bits (`general_controller.py` samples `skip`
 * of length `layer_id` after the op). Bit j adds `prev_layers[j]` of `general_child.py` (L361, and the fixed-arc
 * path L463), a list that starts with the stem: bit 0 is the STEM's output and bit j > 0 is layer j − 1's. A layer's
 * own input (layer i − 1) is never a skip source. Every published macro architecture means this. The README numbers
 * layers from 1, hence its "i − 1 skip bits". Layer i starts at token i(i+1)/2 and the string has L(L+1)/2
 * integers.
 */
import { ArchitectureError, arcIntegers, checkInteger, idOfName, jsonArray, jsonObject, listIds } from './arc-tokens.js';

/** Op ids as in the official encoding (`--controller_search_whole_channels`); pools are 3×3, stride 1, SAME. */
export const MACRO_OPS = ['conv_3x3', 'sep_conv_3x3', 'conv_5x5', 'sep_conv_5x5', 'avg_pool_3x3', 'max_pool_3x3'] as const;
export type MacroOpName = (typeof MACRO_OPS)[number];
export type MacroOpId = 0 | 1 | 2 | 3 | 4 | 5;

/** L in the search script (`--child_num_layers=12`); the final script uses 24. */
export const DEFAULT_MACRO_LAYERS = 12;

export interface MacroLayer {
  readonly op: MacroOpId;
  /**
   * One bit per skip source: `skips[j] === 1` adds output j of [stem, layer 0, …, layer i − 2] to layer i (bit 0 is
   * the stem, bit j > 0 is layer j − 1). Length = layer index.
   */
  readonly skips: readonly (0 | 1)[];
}

export interface MacroArchitecture {
  readonly space: 'macro';
  readonly layers: readonly MacroLayer[];
}

/** The JSON form: op names, and skips as the list of source outputs (0 = the stem, j = layer j − 1). */
export interface MacroArchitectureJSON {
  space: 'macro';
  layers: { op: MacroOpName; skipFrom: number[] }[];
}

export interface MacroParseOptions {
  /** Require exactly this many layers; when omitted L is inferred from the length (a triangular number). */
  layers?: number;
}

const OPS_ALLOWED = `allowed op ids are 0..5 (${listIds(MACRO_OPS)})`;

export function parseMacroArchitecture(text: string, options: MacroParseOptions = {}): MacroArchitecture {
  const values = arcIntegers('macro', text);
  const numLayers = layersFromLength(values.length, options.layers);
  const layers: MacroLayer[] = [];
  for (let i = 0; i < numLayers; i++) {
    const start = firstToken(i);
    layers.push({ op: values[start] as MacroOpId, skips: values.slice(start + 1, start + 1 + i) as (0 | 1)[] });
  }
  const arch: MacroArchitecture = { space: 'macro', layers };
  validateMacroArchitecture(arch);
  return arch;
}

export function printMacroArchitecture(arch: MacroArchitecture): string {
  return arch.layers.map((layer) => [layer.op, ...layer.skips].join(' ')).join(' ');
}

/** Throws an ArchitectureError for the first invalid value (in arc-string order). */
export function validateMacroArchitecture(arch: MacroArchitecture): void {
  const numLayers = arch.layers.length;
  if (numLayers < 1) throw new ArchitectureError('macro', 'the architecture has no layers; it needs at least one');
  const total = firstToken(numLayers);
  arch.layers.forEach((layer, i) => {
    const start = firstToken(i);
    checkInteger('macro', layer.op, 0, MACRO_OPS.length - 1, {
      token: start,
      of: total,
      what: `layer ${i} of ${numLayers}, op`,
      allowed: OPS_ALLOWED,
    });
    if (!Array.isArray(layer.skips) || layer.skips.length !== i) {
      const got = Array.isArray(layer.skips) ? layer.skips.length : 'none';
      throw new ArchitectureError('macro', `layer ${i} must have ${i} skip bits (one per earlier layer), got ${got}`);
    }
    layer.skips.forEach((bit, j) => {
      checkInteger('macro', bit, 0, 1, {
        token: start + 1 + j,
        of: total,
        what: `layer ${i}, skip from layer ${j}`,
        allowed: 'a skip bit must be 0 or 1',
      });
    });
  });
}

/**
 * The skip sources of layer `i`, ascending, as output indices: 0 is the stem, j > 0 is layer j − 1
 * (`macroSkipSourceLabel` names them).
 */
export function macroSkipSources(arch: MacroArchitecture, i: number): number[] {
  const layer = arch.layers[i];
  if (!layer) throw new RangeError(`macroSkipSources: layer ${i} does not exist (0..${arch.layers.length - 1})`);
  return layer.skips.flatMap((bit, j) => (bit === 1 ? [j] : []));
}

/** 'stem' for source 0, 'layer j − 1' for source j. */
export function macroSkipSourceLabel(source: number): string {
  return source === 0 ? 'stem' : `layer ${source - 1}`;
}

/** Total number of skip connections. */
export function macroSkipCount(arch: MacroArchitecture): number {
  let count = 0;
  for (const layer of arch.layers) for (const bit of layer.skips) count += bit;
  return count;
}

/**
 * Fraction of possible skips that are present: the controller's `skip_rate` (`general_controller.py`
 * `build_trainer`, normalised by L(L−1)/2), which the skip penalty pulls towards `--controller_skip_target=0.4`.
 */
export function macroSkipRate(arch: MacroArchitecture): number {
  const L = arch.layers.length;
  return L < 2 ? 0 : macroSkipCount(arch) / ((L * (L - 1)) / 2);
}

/**
 * Layers after which the network halves the spatial size (factorized reduction of every earlier output):
 * `pool_distance = L // 3`, `pool_layers = [pool_distance − 1, 2·pool_distance − 1]` (`general_child.py` L95-96),
 * i.e. 3 and 7 for 12 layers, 7 and 15 for 24.
 */
export function macroPoolLayers(numLayers: number): number[] {
  const distance = Math.floor(numLayers / 3);
  return distance < 1 ? [] : [distance - 1, 2 * distance - 1];
}

/** 6^L · 2^(L(L−1)/2) distinct encodings (the paper's figure: 1.6·10^29 for L = 12). */
export function macroSearchSpaceSize(layers = DEFAULT_MACRO_LAYERS): bigint {
  return 6n ** BigInt(layers) * 2n ** BigInt((layers * (layers - 1)) / 2);
}

export function macroToJSON(arch: MacroArchitecture): MacroArchitectureJSON {
  return {
    space: 'macro',
    layers: arch.layers.map((layer, i) => ({ op: MACRO_OPS[layer.op], skipFrom: macroSkipSources(arch, i) })),
  };
}

export function macroFromJSON(value: unknown): MacroArchitecture {
  const obj = jsonObject('macro', value, '(root)');
  if (obj.space !== 'macro') throw new ArchitectureError('macro', `JSON space is ${JSON.stringify(obj.space)}, expected "macro"`);
  const layers = jsonArray('macro', obj.layers, 'layers').map((raw, i): MacroLayer => {
    const layer = jsonObject('macro', raw, `layers[${i}]`);
    const op = idOfName('macro', MACRO_OPS, layer.op, `layers[${i}].op`) as MacroOpId;
    const skips = new Array<0 | 1>(i).fill(0);
    jsonArray('macro', layer.skipFrom, `layers[${i}].skipFrom`).forEach((from, k) => {
      if (typeof from !== 'number' || !Number.isInteger(from) || from < 0 || from >= i || skips[from] === 1) {
        throw new ArchitectureError(
          'macro',
          `JSON layers[${i}].skipFrom[${k}] is ${JSON.stringify(from)}; layer ${i} takes skips only from distinct earlier layers 0..${i - 1}`,
        );
      }
      skips[from] = 1;
    });
    return { op, skips };
  });
  const arch: MacroArchitecture = { space: 'macro', layers };
  validateMacroArchitecture(arch);
  return arch;
}

/** Token where layer i starts: layers 0..i−1 take 1 + j integers each. */
function firstToken(i: number): number {
  return (i * (i + 1)) / 2;
}

function layersFromLength(length: number, required: number | undefined): number {
  if (required !== undefined) {
    if (!Number.isInteger(required) || required < 1) {
      throw new ArchitectureError('macro', `the required layer count must be a positive integer, got ${required}`);
    }
    if (length !== firstToken(required)) {
      throw new ArchitectureError(
        'macro',
        `expected ${firstToken(required)} integers for ${required} layers (layer i: 1 op id then i skip bits, L(L+1)/2 in all), got ${length}`,
      );
    }
    return required;
  }
  const L = Math.round((Math.sqrt(8 * length + 1) - 1) / 2);
  if (length === 0 || firstToken(L) !== length) {
    const below = Math.max(1, Math.floor((Math.sqrt(8 * length + 1) - 1) / 2));
    throw new ArchitectureError(
      'macro',
      `expected L(L+1)/2 integers for some layer count L (layer i: 1 op id then i skip bits), got ${length}; ` +
        `the nearest counts are ${firstToken(below)} (L = ${below}) and ${firstToken(below + 1)} (L = ${below + 1})`,
    );
  }
  return L;
}
