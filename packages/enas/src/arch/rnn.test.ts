import { Rng } from '@enas-webgpu/wgsl-kernels/testing';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_RNN_ARC } from './published.js';
import {
  parseRnnArchitecture,
  printRnnArchitecture,
  rnnFromJSON,
  rnnLooseEnds,
  rnnSearchSpaceSize,
  rnnToJSON,
  validateRnnArchitecture,
} from './rnn.js';
import { sampleRnnArchitecture } from './uniform-sample.js';

// enas_lm/README.md (google-research): the published cell.
const PUBLISHED = '0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2';

it('exports the same published architecture', () => expect(PUBLISHED_RNN_ARC).toBe(PUBLISHED));

describe('rnn architecture', () => {
  it('parses the published cell', () => {
    const arch = parseRnnArchitecture(PUBLISHED);
    expect(arch.nodes).toHaveLength(8);
    expect(arch.nodes[0]).toEqual({ prev: 0, func: 2 });
    expect(arch.nodes[4]).toEqual({ prev: 4, func: 0 });
    expect(arch.nodes[7]).toEqual({ prev: 6, func: 2 });
    expect(printRnnArchitecture(arch)).toBe(PUBLISHED);
    expect(rnnLooseEnds(arch)).toEqual([7, 8]);
    expect(rnnToJSON(arch).nodes.slice(0, 2)).toEqual([
      { prev: 0, func: 'sigmoid' },
      { prev: 1, func: 'tanh' },
    ]);
    expect(parseRnnArchitecture(PUBLISHED, { nodes: 8 })).toEqual(arch);
  });

  it('round-trips sampled cells through the string and JSON forms', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 200; t++) {
      const arch = sampleRnnArchitecture(() => rng.next(), 1 + (t % 12));
      validateRnnArchitecture(arch);
      expect(parseRnnArchitecture(printRnnArchitecture(arch))).toEqual(arch);
      expect(rnnFromJSON(JSON.parse(JSON.stringify(rnnToJSON(arch))))).toEqual(arch);
      // Every loose end is unread, and the last node always is one.
      const loose = rnnLooseEnds(arch);
      expect(loose.at(-1)).toBe(arch.nodes.length);
      for (const j of loose) expect(arch.nodes.some((n) => n.prev === j)).toBe(false);
    }
  });

  it('rejects wrong lengths, with a hint for the older src/ptb format', () => {
    // melodyguan/enas README example in the older format: 2N + 1 tokens.
    expect(() => parseRnnArchitecture('0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1')).toThrow(
      'rnn architecture: expected an even, positive number of integers (N nodes × "prev func"), got 23; ' +
        'the older src/ptb format with a leading node-0 activation is not supported',
    );
    expect(() => parseRnnArchitecture(PUBLISHED, { nodes: 12 })).toThrow('expected 24 integers (12 nodes × "prev func"), got 16');
    expect(() => parseRnnArchitecture('')).toThrow('got 0');
  });

  it('rejects a predecessor that is the node itself or later, and an unknown function', () => {
    expect(() => parseRnnArchitecture('0 2 2 0')).toThrow(
      'rnn architecture: token 3 of 4 (node 2 of 2, prev) is 2; node 2 may read node 0..1 (0 = the x[t]/h[t-1] input node); ' +
        'a predecessor must come before the node',
    );
    expect(() => parseRnnArchitecture('0 4')).toThrow(
      'rnn architecture: token 2 of 2 (node 1 of 1, func) is 4; allowed function ids are 0..3 (0 tanh, 1 relu, 2 sigmoid, 3 identity)',
    );
    expect(() => parseRnnArchitecture('0 2 1 e')).toThrow('token 4 of 4 is "e"');
    expect(() => rnnFromJSON({ space: 'rnn', nodes: [{ prev: 0, func: 'gelu' }] })).toThrow('JSON nodes[0].func is "gelu"');
    expect(() => rnnFromJSON({ space: 'rnn', nodes: [{ prev: '0', func: 'tanh' }] })).toThrow('(node 1 of 1, prev) is "0"');
  });

  it('counts the search space by formula, and by enumeration for 3 nodes', () => {
    expect(rnnSearchSpaceSize(8)).toBe(2642411520n);
    // Every 6-integer string with prev in 0..3 and func in 0..4 (wider than legal); count those that parse.
    const ranges = [4, 5, 4, 5, 4, 5];
    let valid = 0;
    for (let code = 0; code < ranges.reduce((a, b) => a * b, 1); code++) {
      let c = code;
      const tokens = ranges.map((n) => {
        const d = c % n;
        c = Math.floor(c / n);
        return d;
      });
      try {
        parseRnnArchitecture(tokens.join(' '));
        valid++;
      } catch {
        // Invalid by construction.
      }
    }
    expect(BigInt(valid)).toBe(rnnSearchSpaceSize(3));
  });
});
