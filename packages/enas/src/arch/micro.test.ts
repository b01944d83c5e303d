import { Rng } from '@enas-webgpu/wgsl-kernels/testing';
import { describe, expect, it } from 'vitest';
import { ArchitectureError } from './arc-tokens.js';
import {
  microCellOutputs,
  microFromJSON,
  microIndexLabel,
  microSearchSpaceSize,
  microToJSON,
  parseMicroArchitecture,
  parseMicroCell,
  printMicroArchitecture,
  printMicroCell,
  validateMicroArchitecture,
} from './micro.js';
import { PUBLISHED_MICRO_ARC } from './published.js';
import { sampleMicroArchitecture } from './uniform-sample.js';

// scripts/cifar10_micro_final.sh of melodyguan/enas.
const NORMAL = '0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1';
const REDUCTION = '1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1';
const PUBLISHED = `${NORMAL} ${REDUCTION}`;

it('exports the same published architecture', () => expect(PUBLISHED_MICRO_ARC).toBe(PUBLISHED));

function errorOf(fn: () => unknown): ArchitectureError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArchitectureError);
    return e as ArchitectureError;
  }
  throw new Error('expected an ArchitectureError');
}

describe('micro architecture', () => {
  it('parses the published final architecture', () => {
    const arch = parseMicroArchitecture(PUBLISHED);
    expect(arch.normal).toHaveLength(5);
    expect(arch.reduction).toHaveLength(5);
    expect(arch.normal[0]).toEqual({ inputs: [0, 0], ops: [2, 0] });
    expect(arch.normal[3]).toEqual({ inputs: [1, 0], ops: [0, 1] });
    expect(arch.reduction[2]).toEqual({ inputs: [1, 3], ops: [1, 1] });
    expect(printMicroArchitecture(arch)).toBe(PUBLISHED);
    expect(printMicroCell(arch.normal)).toBe(NORMAL);
    expect(parseMicroArchitecture(PUBLISHED, { nodes: 5 })).toEqual(arch);
  });

  it('parses one cell, commas and extra whitespace', () => {
    expect(parseMicroCell(REDUCTION, 'reduction')).toEqual(parseMicroArchitecture(PUBLISHED).reduction);
    expect(printMicroArchitecture(parseMicroArchitecture(`  ${PUBLISHED.replaceAll(' ', ',\n ')} `))).toBe(PUBLISHED);
  });

  it('lists the nodes concatenated at the cell output (unused indices, inputs included)', () => {
    const arch = parseMicroArchitecture(PUBLISHED);
    expect(microCellOutputs(arch.normal)).toEqual([2, 3, 4, 5, 6]);
    expect(microCellOutputs(arch.reduction)).toEqual([2, 4, 5, 6]);
    // Nothing reads h[-2] here, so it is concatenated at the output too (reference `_fixed_combine`).
    expect(microCellOutputs(parseMicroCell('1 0 1 4 2 3 1 1'))).toEqual([0, 3]);
    expect([0, 1, 2, 7].map(microIndexLabel)).toEqual(['h[-2]', 'h[-1]', 'node 2', 'node 7']);
  });

  it('round-trips uniformly sampled architectures through the string and JSON forms', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 200; t++) {
      const arch = sampleMicroArchitecture(() => rng.next(), 1 + (t % 7));
      validateMicroArchitecture(arch);
      expect(parseMicroArchitecture(printMicroArchitecture(arch))).toEqual(arch);
      expect(microFromJSON(JSON.parse(JSON.stringify(microToJSON(arch))))).toEqual(arch);
    }
  });

  it('writes op names in the JSON form', () => {
    const json = microToJSON(parseMicroArchitecture(PUBLISHED));
    expect(json.normal[0]).toEqual({ inputs: [0, 0], ops: ['avg_pool_3x3', 'sep_conv_3x3'] });
    expect(json.reduction[4]).toEqual({ inputs: [0, 1], ops: ['max_pool_3x3', 'sep_conv_5x5'] });
  });

  it('rejects a wrong length with one message naming the expected count', () => {
    const short = PUBLISHED.split(' ').slice(0, 39).join(' ');
    expect(errorOf(() => parseMicroArchitecture(short)).message).toBe(
      'micro architecture: expected a positive multiple of 8 integers (2 cells × B nodes × 4 integers (index_1 op_1 index_2 op_2) ' +
        'for a normal cell then a reduction cell), got 39',
    );
    expect(errorOf(() => parseMicroArchitecture(PUBLISHED, { nodes: 4 })).message).toContain('expected 32 integers');
    expect(errorOf(() => parseMicroArchitecture('')).message).toContain('got 0');
    expect(errorOf(() => parseMicroCell(NORMAL, 'normal', { nodes: 6 })).message).toContain('expected 24 integers');
  });

  it('rejects a non-integer token with its position and value', () => {
    const e = errorOf(() => parseMicroArchitecture(PUBLISHED.replace('0 2 0 0 0 4', '0 2 0 0.5 0 4')));
    expect(e.message).toBe('micro architecture: token 4 of 40 is "0.5"; every token must be a non-negative integer');
    expect(e.token).toBe(4);
    expect(errorOf(() => parseMicroArchitecture(PUBLISHED.replace('0 2', '-1 2'))).message).toContain('token 1 of 40 is "-1"');
    expect(errorOf(() => parseMicroArchitecture(PUBLISHED.replace('0 2', 'x 2'))).message).toContain('"x"');
  });

  it('rejects an op id out of range, naming cell, node, field and the allowed ops', () => {
    const tokens = PUBLISHED.split(' ');
    tokens[25] = '5'; // reduction cell, tuple 2 (node 3), op_1
    const e = errorOf(() => parseMicroArchitecture(tokens.join(' ')));
    expect(e.message).toBe(
      'micro architecture: token 26 of 40 (reduction cell, tuple 2 of 5 = node 3, op_1) is 5; allowed op ids are 0..4 ' +
        '(0 sep_conv_3x3, 1 sep_conv_5x5, 2 avg_pool_3x3, 3 max_pool_3x3, 4 identity)',
    );
    expect(e.token).toBe(26);
  });

  it('rejects an input index that points to the node itself or forward', () => {
    const self = PUBLISHED.split(' ');
    self[6] = '3'; // normal cell, node 3, index_2 = itself
    expect(errorOf(() => parseMicroArchitecture(self.join(' '))).message).toBe(
      'micro architecture: token 7 of 40 (normal cell, tuple 2 of 5 = node 3, index_2) is 3; ' +
        'node 3 may read 0..2 (0 = h[-2], 1 = h[-1], k ≥ 2 = node k); an input must come before the node',
    );
    const forward = PUBLISHED.split(' ');
    forward[0] = '2'; // the first node may read only the two cell inputs
    expect(errorOf(() => parseMicroArchitecture(forward.join(' '))).message).toContain('node 2 may read 0..1');
  });

  it('reports the first bad token when there are several', () => {
    const tokens = PUBLISHED.split(' ');
    tokens[35] = '9';
    tokens[9] = '7';
    expect(errorOf(() => parseMicroArchitecture(tokens.join(' '))).token).toBe(10);
  });

  it('validates typed objects and JSON', () => {
    const arch = parseMicroArchitecture(PUBLISHED);
    expect(() => validateMicroArchitecture({ ...arch, reduction: arch.reduction.slice(1) })).toThrow(/same number/);
    const json = JSON.parse(JSON.stringify(microToJSON(arch)));
    json.normal[1].ops[1] = 'sep_conv_7x7';
    expect(() => microFromJSON(json)).toThrow(
      'micro architecture: JSON normal[1].ops[1] is "sep_conv_7x7"; allowed: sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3, identity',
    );
    const fractional = JSON.parse(JSON.stringify(microToJSON(arch)));
    fractional.normal[0].inputs[1] = 0.5;
    expect(() => microFromJSON(fractional)).toThrow('token 3 of 40 (normal cell, tuple 1 of 5 = node 2, index_2) is 0.5');
    expect(() => microFromJSON({ space: 'macro' })).toThrow('expected "micro"');
    expect(() => microFromJSON({ space: 'micro', normal: [], reduction: [] })).toThrow(/at least one|same number/);
  });

  it('counts the search space by formula, and by enumeration for small cells', () => {
    expect(microSearchSpaceSize(5)).toBe(25628906250000000000000000n);
    expect(microSearchSpaceSize(1)).toBe(10000n);
    // Every 8-integer string over ranges one wider than the legal ones (indices 0..2 then 0..3, one op field up
    // to 5); count those that parse as a 2-node cell.
    let valid = 0;
    const t = [0, 0, 0, 0, 0, 0, 0, 0];
    const ranges = [3, 5, 3, 6, 4, 5, 4, 5];
    const total = ranges.reduce((a, b) => a * b, 1);
    for (let code = 0; code < total; code++) {
      let c = code;
      for (let i = 0; i < 8; i++) {
        t[i] = c % ranges[i]!;
        c = Math.floor(c / ranges[i]!);
      }
      try {
        parseMicroCell(t.join(' '));
        valid++;
      } catch {
        // Invalid by construction.
      }
    }
    expect(BigInt(valid) ** 2n).toBe(microSearchSpaceSize(2));
  });
});
