/** One entry point over the three search spaces, for code that holds "some architecture" (CLI, viewer, logs). */
import type { SearchSpace } from './arc-tokens.js';
import {
  DEFAULT_MACRO_LAYERS,
  type MacroArchitecture,
  type MacroArchitectureJSON,
  macroFromJSON,
  macroSearchSpaceSize,
  macroToJSON,
  parseMacroArchitecture,
  printMacroArchitecture,
  validateMacroArchitecture,
} from './macro.js';
import {
  DEFAULT_MICRO_NODES,
  type MicroArchitecture,
  type MicroArchitectureJSON,
  microFromJSON,
  microSearchSpaceSize,
  microToJSON,
  parseMicroArchitecture,
  printMicroArchitecture,
  validateMicroArchitecture,
} from './micro.js';
import {
  DEFAULT_RNN_NODES,
  parseRnnArchitecture,
  printRnnArchitecture,
  type RnnArchitecture,
  type RnnArchitectureJSON,
  rnnFromJSON,
  rnnSearchSpaceSize,
  rnnToJSON,
  validateRnnArchitecture,
} from './rnn.js';

export type Architecture = MicroArchitecture | MacroArchitecture | RnnArchitecture;
export type ArchitectureJSON = MicroArchitectureJSON | MacroArchitectureJSON | RnnArchitectureJSON;

export const SEARCH_SPACES: readonly SearchSpace[] = ['micro', 'macro', 'rnn'];

/**
 * Parses an official arc string of the given space. `size` requires a node count (micro: nodes per cell; macro:
 * layers; rnn: searched nodes); without it the size is inferred from the string's length.
 */
export function parseArchitecture(space: SearchSpace, text: string, size?: number): Architecture {
  switch (space) {
    case 'micro':
      return parseMicroArchitecture(text, size === undefined ? {} : { nodes: size });
    case 'macro':
      return parseMacroArchitecture(text, size === undefined ? {} : { layers: size });
    case 'rnn':
      return parseRnnArchitecture(text, size === undefined ? {} : { nodes: size });
    default:
      throw unknownSpace(space);
  }
}

export function printArchitecture(arch: Architecture): string {
  switch (arch.space) {
    case 'micro':
      return printMicroArchitecture(arch);
    case 'macro':
      return printMacroArchitecture(arch);
    case 'rnn':
      return printRnnArchitecture(arch);
  }
}

export function validateArchitecture(arch: Architecture): void {
  if (arch.space === 'micro') validateMicroArchitecture(arch);
  else if (arch.space === 'macro') validateMacroArchitecture(arch);
  else validateRnnArchitecture(arch);
}

export function architectureToJSON(arch: Architecture): ArchitectureJSON {
  switch (arch.space) {
    case 'micro':
      return microToJSON(arch);
    case 'macro':
      return macroToJSON(arch);
    case 'rnn':
      return rnnToJSON(arch);
  }
}

/** Reads the JSON form of any space (dispatching on its `space` field) and validates it. */
export function architectureFromJSON(value: unknown): Architecture {
  const space = typeof value === 'object' && value !== null ? (value as { space?: unknown }).space : undefined;
  switch (space) {
    case 'micro':
      return microFromJSON(value);
    case 'macro':
      return macroFromJSON(value);
    case 'rnn':
      return rnnFromJSON(value);
    default:
      throw new Error(`architectureFromJSON: "space" must be one of ${SEARCH_SPACES.join(', ')}, got ${JSON.stringify(space)}`);
  }
}

/** The architecture's size parameter: nodes per cell (micro), layers (macro), searched nodes (rnn). */
export function architectureSize(arch: Architecture): number {
  switch (arch.space) {
    case 'micro':
      return arch.normal.length;
    case 'macro':
      return arch.layers.length;
    case 'rnn':
      return arch.nodes.length;
  }
}

/** Number of distinct encodings in a space of the given size (defaults: micro 5 nodes, macro 12 layers, rnn 8 nodes). */
export function searchSpaceSize(space: SearchSpace, size?: number): bigint {
  switch (space) {
    case 'micro':
      return microSearchSpaceSize(size ?? DEFAULT_MICRO_NODES);
    case 'macro':
      return macroSearchSpaceSize(size ?? DEFAULT_MACRO_LAYERS);
    case 'rnn':
      return rnnSearchSpaceSize(size ?? DEFAULT_RNN_NODES);
    default:
      throw unknownSpace(space);
  }
}

/** A count for display: exact below a million, else "1.6 × 10^29". */
export function formatCount(count: bigint, significantDigits = 2): string {
  if (count < 1_000_000n) return count.toString();
  const digits = count.toString();
  const exponent = digits.length - 1;
  const mantissa = Number(`${digits[0]}.${digits.slice(1, significantDigits + 2)}`).toFixed(significantDigits - 1);
  // Rounding can carry into the next power of ten (9.96 → "10.0").
  if (Number(mantissa) >= 10) return `${(1).toFixed(significantDigits - 1)} × 10^${exponent + 1}`;
  return `${mantissa} × 10^${exponent}`;
}

function unknownSpace(space: unknown): Error {
  return new Error(`unknown search space ${JSON.stringify(space)}; expected one of ${SEARCH_SPACES.join(', ')}`);
}
