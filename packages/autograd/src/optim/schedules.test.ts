import { describe, expect, it } from 'vitest';
import { sgdrLearningRate, sgdrRestarts } from './schedules.js';

const official = { lrMax: 0.05, lrMin: 0.0005, t0: 10, tMul: 2 };

describe('SGDR', () => {
  it('restarts at epochs 10, 30, 70, 150, 310 with T_0 = 10, T_mul = 2 (the official scripts)', () => {
    expect(sgdrRestarts(310, official)).toEqual([10, 30, 70, 150, 310]);
  });

  it('starts at lr_max, reaches the midpoint halfway, and jumps back at a restart', () => {
    expect(sgdrLearningRate(0, official)).toBeCloseTo(0.05, 12);
    expect(sgdrLearningRate(5, official)).toBeCloseTo((0.05 + 0.0005) / 2, 12);
    expect(sgdrLearningRate(9, official)).toBeLessThan(0.0025);
    expect(sgdrLearningRate(10, official)).toBeCloseTo(0.05, 12);
    expect(sgdrLearningRate(20, official)).toBeCloseTo((0.05 + 0.0005) / 2, 12); // half of the 20-epoch period
  });

  it('rejects a schedule that would never restart sensibly', () => {
    expect(() => sgdrLearningRate(1, { ...official, t0: 0 })).toThrow(/T_0 > 0/);
  });
});
