import { PUBLISHED_MACRO_ARC, PUBLISHED_MICRO_ARC, parseArchitecture } from '@enas-webgpu/enas';
import { describe, expect, it } from 'vitest';
import { planTraining, resolveTrainOptions } from './train-options.js';

const micro = parseArchitecture('micro', PUBLISHED_MICRO_ARC) as Parameters<typeof resolveTrainOptions>[1];
const macro = parseArchitecture('macro', PUBLISHED_MACRO_ARC) as Parameters<typeof resolveTrainOptions>[1];
// What commander passes when neither --no-aux nor --flip/--no-flip is given.
const defaults = { aux: true };

describe('enas train options', () => {
  it('paper-micro-final is the official final script', () => {
    const o = resolveTrainOptions('paper-micro-final', micro, PUBLISHED_MICRO_ARC, defaults);
    expect(o).toMatchObject({ layers: 15, filters: 36, batchSize: 144, epochs: 630, l2: 2e-4, keepProb: 0.8, dropPathKeep: 0.6 });
    expect(o).toMatchObject({ auxHead: true, auxWeight: 0.4, cutout: 16, lrMax: 0.05, lrMin: 0.0001, lrT0: 10, lrTMul: 2 });
    const plan = planTraining(o, micro, { channels: 3, size: 32, classes: 10 });
    expect(plan.spec.config).toMatchObject({ layers: 15, filters: 36, auxHead: true });
    expect(plan.training.augment).toEqual({ pad: 4, flip: true, cutout: 16 });
  });

  it('paper-macro-final keeps its aux head off unless asked, and takes the arc’s 24 layers', () => {
    const o = resolveTrainOptions('paper-macro-final', macro, PUBLISHED_MACRO_ARC, defaults);
    expect(o).toMatchObject({
      layers: 24,
      filters: 96,
      batchSize: 100,
      epochs: 310,
      keepProb: 0.5,
      auxHead: false,
      cutout: 0,
      lrMin: 0.001,
    });
    expect(resolveTrainOptions('paper-micro-final', micro, PUBLISHED_MICRO_ARC, { aux: false, flip: false })).toMatchObject({
      auxHead: false,
      augmentFlip: false,
    });
  });

  it('overrides are checked and applied', () => {
    expect(resolveTrainOptions('tiny', micro, PUBLISHED_MICRO_ARC, { ...defaults, epochs: '7', cutout: '8' })).toMatchObject({
      epochs: 7,
      cutout: 8,
    });
    expect(() => resolveTrainOptions('tiny', micro, PUBLISHED_MICRO_ARC, { epochs: '1.5' })).toThrow(/--epochs 1.5: expected an integer/);
    expect(() => resolveTrainOptions('tiny', macro, PUBLISHED_MACRO_ARC, { layers: '12' })).toThrow(
      /--layers requires a 12-layer macro arc \(78 integers\), and the arc has 24 layers/,
    );
  });
});
