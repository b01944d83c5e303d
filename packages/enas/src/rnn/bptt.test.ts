import { Rng } from '@enas-webgpu/wgsl-kernels';
import { describe, expect, it } from 'vitest';
import { batchifyTokens } from '../data/token-batches.js';
import { BpttCursor, sampleBpttLength } from './bptt.js';

const reference = { bpttSteps: 35, bpttStd: 5 };

describe('random BPTT lengths (enas_lm data_utils.random_len)', () => {
  it('draws around 35 (or 17.5 one time in twenty), truncated at 2 std, capped at 55', () => {
    const rng = new Rng(1);
    const lengths = Array.from({ length: 20000 }, () => sampleBpttLength(rng, reference));
    // int() truncates toward zero: 35 ± 10 → 25..45, 17.5 ± 10 → 7..27.
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(7);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(45);
    const short = lengths.filter((l) => l < 25).length / lengths.length;
    expect(short).toBeGreaterThan(0.03);
    expect(short).toBeLessThan(0.07);
    const long = lengths.filter((l) => l >= 25);
    const mean = long.reduce((a, b) => a + b, 0) / long.length;
    // E[trunc(35 + 5z)] for |z| <= 2 is 34.5 (truncation loses half a step on average).
    expect(mean).toBeGreaterThan(34.2);
    expect(mean).toBeLessThan(34.8);
    // A large std hits the bptt + 20 cap and the minimum of 1.
    const wide = Array.from({ length: 2000 }, () => sampleBpttLength(rng, { bpttSteps: 10, bpttStd: 40 }));
    expect(Math.max(...wide)).toBe(30);
    expect(Math.min(...wide)).toBe(1);
  });

  it('walks the rows in consecutive windows, scales the rate by length / 35, and ends the pass at L − 3', () => {
    const ids = Int32Array.from({ length: 2 * 400 }, (_, i) => i);
    const matrix = batchifyTokens(ids, 2);
    const cursor = new BpttCursor(matrix, reference, new Rng(2));
    let expectedStart = 0;
    for (;;) {
      const d = cursor.next();
      expect(d.start).toBe(expectedStart);
      expect(d.lrScale).toBeCloseTo(d.window.steps / 35, 12);
      // Row 1 continues at column `start`: x = data[:, start : start + T], y one further.
      expect(d.window.x[d.window.steps]).toBe(400 + d.start);
      expect(d.window.y[0]).toBe(d.start + 1);
      expectedStart = d.start + d.window.steps;
      if (d.epochEnd) {
        expect(expectedStart).toBeGreaterThanOrEqual(400 - 3);
        expect(expectedStart).toBeLessThanOrEqual(399);
        break;
      }
      expect(expectedStart).toBeLessThan(400 - 3);
    }
    expect(cursor.start).toBe(0);
  });
});
