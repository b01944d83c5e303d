import { dropPath, Engine } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microCellOutputs, parseMicroArchitecture } from '../arch/micro.js';
import { PUBLISHED_MICRO_ARC } from '../arch/published.js';
import { dropPathKeep, dropPathProgress } from './drop-path.js';
import { FixedNetwork } from './fixed-network.js';
import { countingCnnOps } from './network-cost.js';

describe('drop-path schedule', () => {
  it('is linear in depth and in progress, from keep 1 to p at the last cell', () => {
    // 17 cells (L = 15), p = 0.6: cell l keeps 1 − (l + 1)/17 · 0.4 at the end of training.
    expect(dropPathKeep(16, 17, 0.6, 1)).toBeCloseTo(0.6, 12);
    expect(dropPathKeep(0, 17, 0.6, 1)).toBeCloseTo(1 - 0.4 / 17, 12);
    expect(dropPathKeep(16, 17, 0.6, 0)).toBe(1);
    expect(dropPathKeep(16, 17, 0.6, 0.5)).toBeCloseTo(0.8, 12);
    expect(dropPathKeep(8, 17, 0.6, 0.25)).toBeCloseTo(1 - 0.25 * (9 / 17) * 0.4, 12);
    // Constant within an epoch, at the epoch's middle; capped at 1.
    expect(dropPathProgress(0, 10)).toBeCloseTo(0.05, 12);
    expect(dropPathProgress(9, 10)).toBeCloseTo(0.95, 12);
    expect(dropPathProgress(12, 10)).toBe(1);
    expect(() => dropPathKeep(17, 17, 0.6, 1)).toThrow(/layer 17 is not a cell of a 17-cell network/);
    expect(() => dropPathKeep(0, 17, 0.6, 1.5)).toThrow(/progress = 1.5/);
    expect(() => dropPathKeep(0, 17, 0, 1)).toThrow(/keep = 0/);
  });
});

describe('drop-path in the micro network', () => {
  let ctx: GpuContext;
  let engine: Engine;
  beforeAll(async () => {
    ctx = await testContext();
    engine = new Engine(ctx, { seed: 5 });
  });
  afterAll(() => {
    engine?.destroy();
    ctx?.destroy();
  });

  it('follows every op but identity, with its cell keep probability, in training only', () => {
    const arch = parseMicroArchitecture(PUBLISHED_MICRO_ARC);
    const config = {
      layers: 6,
      filters: 4,
      inputChannels: 3,
      imageSize: 32,
      classes: 10,
      keepProb: 0.8,
      dropPathKeep: 0.6,
      auxHead: false,
    };
    const net = new FixedNetwork(engine, { space: 'micro', arch, config }, new Rng(1), 'drop-path-calls');
    const shapes = { slot: (k: string) => ({ shape: net.weights.slot(k).shape }), running: () => undefined };
    const run = (training: boolean, progress: number) => {
      const { ops } = countingCnnOps();
      const keeps: number[] = [];
      const base = ops.dropPath;
      ops.dropPath = (x, keep) => {
        keeps.push(keep);
        return base(x, keep);
      };
      net.forwardWith(ops, shapes, { shape: [2, 3, 32, 32] }, { training, progress });
      return keeps;
    };
    // 8 cells, reductions at 2 and 5; the published normal cell has 8 non-identity ops, the reduction cell 9.
    const nonIdentity = (cell: typeof arch.normal) => cell.flatMap((n) => n.ops).filter((op) => op !== 4).length;
    expect(nonIdentity(arch.normal)).toBe(8);
    expect(nonIdentity(arch.reduction)).toBe(9);
    const progress = 0.7;
    const expected = Array.from({ length: 8 }, (_, l) =>
      new Array<number>(l === 2 || l === 5 ? 9 : 8).fill(dropPathKeep(l, 8, 0.6, progress)),
    ).flat();
    expect(run(true, progress)).toEqual(expected);
    expect(run(false, progress)).toEqual([]);
    expect(microCellOutputs(arch.normal)).toEqual([2, 3, 4, 5, 6]);
  });

  it('drops the fraction 1 − keep of the paths on the GPU and scales the kept ones by 1/keep', async () => {
    // The last cell of the final network at the end of training: keep = p = 0.6.
    const keep = dropPathKeep(16, 17, 0.6, 1);
    const N = 4096;
    const step = engine.beginStep('drop-path-statistics');
    const ones = engine.input(new Float32Array(N * 8).fill(1), [N, 2, 2, 2], 'ones');
    const out = dropPath(ones, keep);
    step.submit();
    const values = await download(ctx, out.data, out.size);
    let droppedPaths = 0;
    for (let n = 0; n < N; n++) {
      const path = values.subarray(n * 8, (n + 1) * 8);
      const first = path[0] as number;
      expect(path.every((v) => v === first)).toBe(true); // a whole path is kept or dropped
      if (first === 0) droppedPaths += 1;
      else expect(first).toBeCloseTo(1 / keep, 6);
    }
    // Binomial(4096, 0.4): σ = 0.0077 on the fraction; 4σ.
    expect(Math.abs(droppedPaths / N - (1 - keep))).toBeLessThan(4 * Math.sqrt((keep * (1 - keep)) / N));
  });
});
