import { parseMicroArchitecture } from '@enas-webgpu/enas';
import { describe, expect, it } from 'vitest';
import { probabilityColor, probabilityHeatmapSvg } from '../src/views/probability-heatmap.js';

// B = 2: per cell, node 2 chooses among 2 inputs, node 3 among 3; each op among 5.
const arch = parseMicroArchitecture('0 1 1 4 2 0 0 3  1 2 1 2 0 4 2 1');
const categories = [2, 5, 2, 5, 3, 5, 3, 5];
const probabilities = [...categories, ...categories].map((K, i) => {
  const p = Float64Array.from({ length: K }, (_, k) => k + 1 + (i % 3));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / sum);
});

describe('probability heat map', () => {
  const svg = probabilityHeatmapSvg(arch, probabilities);
  const cells = [...svg.matchAll(/<rect class="heat-cell( heat-chosen)?" data-p="([0-9.]+)"/g)];

  it('draws one square per category of every decision, in decision order, and outlines the sampled ones', () => {
    expect(cells).toHaveLength(2 * categories.reduce((a, b) => a + b, 0));
    expect(cells.filter((c) => c[1]).length).toBe(16);
    // Grids: normal inputs, normal ops, reduction inputs, reduction ops; rows node 2 a, node 2 b, node 3 a, node 3 b.
    const expected = [0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15].flatMap((d) => Array.from(probabilities[d] as Float64Array));
    expect(cells.map((c) => Number(c[2]))).toEqual(expected.map((p) => Number(p.toFixed(4))));
    const chosen = cells.flatMap((c, i) => (c[1] ? [i] : []));
    // Normal inputs: node 2 a = 0, node 2 b = 1, node 3 a = 2, node 3 b = 0 (rows of 2, 2, 3, 3 squares).
    expect(chosen.slice(0, 4)).toEqual([0, 3, 6, 7]);
  });

  it('marks inputs a node cannot read as not applicable, not as zero', () => {
    // node 2 rows have 2 of the 3 input columns; per cell 2 such squares.
    expect(svg.match(/class="heat-na"/g)).toHaveLength(4);
  });

  it('rejects probabilities that do not fit the architecture', () => {
    expect(() => probabilityHeatmapSvg(arch, probabilities.slice(1))).toThrow(
      /15 decisions for a 2-node micro architecture \(expected 16\)/,
    );
  });

  it('colours from white to dark blue', () => {
    expect(probabilityColor(0)).toBe('#f7fbff');
    expect(probabilityColor(1)).toBe('#08306b');
    expect(probabilityColor(2)).toBe('#08306b');
  });
});
