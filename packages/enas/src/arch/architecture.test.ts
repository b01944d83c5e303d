import { describe, expect, it } from 'vitest';
import { ArchitectureError } from './arc-tokens.js';
import {
  architectureFromJSON,
  architectureSize,
  architectureToJSON,
  formatCount,
  parseArchitecture,
  printArchitecture,
  searchSpaceSize,
  validateArchitecture,
} from './architecture.js';

const ARCS = {
  micro: '0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1',
  macro: '0 3 0 0 1 0 2 0 0 1',
  rnn: '0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2',
} as const;

describe('architecture (any space)', () => {
  it('dispatches parse, print, validate, size and JSON on the space', () => {
    for (const space of ['micro', 'macro', 'rnn'] as const) {
      const arch = parseArchitecture(space, ARCS[space]);
      expect(arch.space).toBe(space);
      expect(printArchitecture(arch)).toBe(ARCS[space]);
      validateArchitecture(arch);
      const json = JSON.parse(JSON.stringify(architectureToJSON(arch)));
      expect(json.space).toBe(space);
      expect(architectureFromJSON(json)).toEqual(arch);
    }
    expect(architectureSize(parseArchitecture('micro', ARCS.micro))).toBe(5);
    expect(architectureSize(parseArchitecture('macro', ARCS.macro))).toBe(4);
    expect(architectureSize(parseArchitecture('rnn', ARCS.rnn, 8))).toBe(8);
  });

  it('passes the required size through and names the space in errors', () => {
    expect(() => parseArchitecture('rnn', ARCS.rnn, 9)).toThrow(ArchitectureError);
    expect(() => parseArchitecture('macro', ARCS.macro, 5)).toThrow(/^macro architecture: expected 15 integers/);
    expect(() => parseArchitecture('nope' as 'micro', ARCS.micro)).toThrow('unknown search space "nope"');
    expect(() => architectureFromJSON({ space: 'cnn' })).toThrow('"space" must be one of micro, macro, rnn, got "cnn"');
    expect(() => architectureFromJSON(null)).toThrow('got undefined');
  });

  it('sizes the default search spaces as the paper does (macro 1.6·10^29)', () => {
    expect(formatCount(searchSpaceSize('macro'))).toBe('1.6 × 10^29');
    expect(formatCount(searchSpaceSize('micro'))).toBe('2.6 × 10^25');
    expect(formatCount(searchSpaceSize('rnn'))).toBe('2.6 × 10^9');
    expect(formatCount(searchSpaceSize('rnn', 12))).toBe('8.0 × 10^15');
    expect(searchSpaceSize('rnn', 12)).toBe(4n ** 12n * 479001600n);
  });

  it('formats counts exactly when small and rounds carries correctly', () => {
    expect(formatCount(999_999n)).toBe('999999');
    expect(formatCount(1_000_000n)).toBe('1.0 × 10^6');
    expect(formatCount(9_960_000n)).toBe('1.0 × 10^7');
    expect(formatCount(123_456_789n, 4)).toBe('1.235 × 10^8');
  });
});
