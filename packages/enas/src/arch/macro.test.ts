import { Rng } from '@enas-webgpu/wgsl-kernels/testing';
import { describe, expect, it } from 'vitest';
import {
  macroFromJSON,
  macroPoolLayers,
  macroSearchSpaceSize,
  macroSkipCount,
  macroSkipRate,
  macroSkipSources,
  macroToJSON,
  parseMacroArchitecture,
  printMacroArchitecture,
  validateMacroArchitecture,
} from './macro.js';
import { PUBLISHED_MACRO_ARC } from './published.js';
import { sampleMacroArchitecture } from './uniform-sample.js';

// scripts/cifar10_macro_final.sh of melodyguan/enas: 24 layers, one line per layer.
const FINAL_LINES = [
  '0',
  '3 0',
  '0 1 0',
  '2 0 0 1',
  '2 0 0 0 0',
  '3 1 1 0 1 0',
  '2 0 0 0 0 0 1',
  '2 0 1 1 0 1 1 1',
  '1 0 1 1 1 0 1 0 1',
  '0 0 0 0 0 0 0 0 0 0',
  '2 0 0 0 0 0 1 0 0 0 0',
  '0 1 0 0 1 1 0 0 0 0 1 1',
  '2 0 1 0 0 0 0 0 1 0 1 1 0',
  '1 0 0 1 0 0 0 1 1 1 0 1 0 1',
  '0 1 1 0 1 0 1 0 0 0 0 0 1 0 0',
  '2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1',
  '2 0 1 0 0 0 1 0 0 1 1 1 1 0 0 1 0',
  '2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1',
  '3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0',
  '3 0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 1',
  '0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0',
  '3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 1 0 0',
  '0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0',
  '0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0',
];
const FINAL = FINAL_LINES.join(' ');

it('exports the same published architecture', () => expect(PUBLISHED_MACRO_ARC).toBe(FINAL));

describe('macro architecture', () => {
  it('parses the published 24-layer final architecture, inferring the layer count', () => {
    const arch = parseMacroArchitecture(FINAL);
    expect(arch.layers).toHaveLength(24);
    expect(arch.layers[0]).toEqual({ op: 0, skips: [] });
    expect(arch.layers[1]).toEqual({ op: 3, skips: [0] });
    expect(arch.layers[3]).toEqual({ op: 2, skips: [0, 0, 1] });
    expect(macroSkipSources(arch, 3)).toEqual([2]);
    expect(macroSkipSources(arch, 5)).toEqual([0, 1, 3]);
    expect(printMacroArchitecture(arch)).toBe(FINAL);
    const ones = FINAL_LINES.reduce(
      (n, line) =>
        n +
        line
          .split(' ')
          .slice(1)
          .filter((b) => b === '1').length,
      0,
    );
    expect(macroSkipCount(arch)).toBe(ones);
    expect(macroSkipRate(arch)).toBeCloseTo(ones / 276, 12);
    expect(() => parseMacroArchitecture(FINAL, { layers: 12 })).toThrow(
      'macro architecture: expected 78 integers for 12 layers (layer i: 1 op id then i skip bits, L(L+1)/2 in all), got 300',
    );
  });

  it('places the pool layers as the reference does', () => {
    expect(macroPoolLayers(12)).toEqual([3, 7]);
    expect(macroPoolLayers(24)).toEqual([7, 15]);
    expect(macroPoolLayers(2)).toEqual([]);
  });

  it('round-trips sampled architectures through the string and JSON forms', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 100; t++) {
      const arch = sampleMacroArchitecture(() => rng.next(), 1 + (t % 14), 0.4);
      validateMacroArchitecture(arch);
      expect(parseMacroArchitecture(printMacroArchitecture(arch))).toEqual(arch);
      expect(macroFromJSON(JSON.parse(JSON.stringify(macroToJSON(arch))))).toEqual(arch);
    }
    expect(macroToJSON(parseMacroArchitecture('4 5 1 0 0 1')).layers).toEqual([
      { op: 'avg_pool_3x3', skipFrom: [] },
      { op: 'max_pool_3x3', skipFrom: [0] },
      { op: 'conv_3x3', skipFrom: [1] },
    ]);
  });

  it('rejects lengths that are not L(L+1)/2, naming the nearest valid counts', () => {
    expect(() => parseMacroArchitecture(FINAL_LINES.slice(0, 12).join(' ').slice(0, -2))).toThrow(
      'macro architecture: expected L(L+1)/2 integers for some layer count L (layer i: 1 op id then i skip bits), got 77; ' +
        'the nearest counts are 66 (L = 11) and 78 (L = 12)',
    );
    expect(() => parseMacroArchitecture('   ')).toThrow('got 0');
  });

  it('rejects a bad op id or skip bit with its position', () => {
    expect(() => parseMacroArchitecture('0 3 0 6 1 0')).toThrow(
      'macro architecture: token 4 of 6 (layer 2 of 3, op) is 6; allowed op ids are 0..5 ' +
        '(0 conv_3x3, 1 sep_conv_3x3, 2 conv_5x5, 3 sep_conv_5x5, 4 avg_pool_3x3, 5 max_pool_3x3)',
    );
    expect(() => parseMacroArchitecture('0 3 0 1 2 0')).toThrow(
      'macro architecture: token 5 of 6 (layer 2, skip from layer 0) is 2; a skip bit must be 0 or 1',
    );
    expect(() => parseMacroArchitecture('0 3 0 1 0 1.0')).toThrow('token 6 of 6 is "1.0"');
  });

  it('validates typed objects and JSON', () => {
    expect(() =>
      validateMacroArchitecture({
        space: 'macro',
        layers: [
          { op: 0, skips: [] },
          { op: 1, skips: [] },
        ],
      }),
    ).toThrow('layer 1 must have 1 skip bits');
    expect(() => validateMacroArchitecture({ space: 'macro', layers: [] })).toThrow('at least one');
    const json = {
      space: 'macro',
      layers: [
        { op: 'conv_3x3', skipFrom: [] },
        { op: 'conv_3x3', skipFrom: [1] },
      ],
    };
    expect(() => macroFromJSON(json)).toThrow(
      'JSON layers[1].skipFrom[0] is 1; layer 1 takes skips only from distinct earlier layers 0..0',
    );
    expect(() => macroFromJSON({ space: 'macro', layers: [{ op: 'conv_7x7', skipFrom: [] }] })).toThrow('JSON layers[0].op is "conv_7x7"');
  });

  it('counts the search space by formula, and by enumeration for 3 layers', () => {
    expect(macroSearchSpaceSize(12)).toBe(160618186625454535808756219904n);
    let valid = 0;
    for (let code = 0; code < 7 * 7 * 3 * 7 * 3 * 3; code++) {
      let c = code;
      const digit = (n: number) => {
        const d = c % n;
        c = Math.floor(c / n);
        return d;
      };
      const tokens = [digit(7), digit(7), digit(3), digit(7), digit(3), digit(3)];
      try {
        parseMacroArchitecture(tokens.join(' '));
        valid++;
      } catch {
        // Invalid by construction.
      }
    }
    expect(BigInt(valid)).toBe(macroSearchSpaceSize(3));
  });
});
