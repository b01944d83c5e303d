import { add, backward, crossEntropy, Engine, scale, type Tensor } from '@enas-webgpu/autograd';
import { type F64, f64 } from '@enas-webgpu/autograd/testing';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MicroArchitecture, type MicroCell, microCellOutputs, parseMicroArchitecture } from '../arch/micro.js';
import { PUBLISHED_MICRO_ARC } from '../arch/published.js';
import { f64Weights } from '../testing/f64-cnn-ops.js';
import { f64CnnOpsWithRandom } from '../testing/f64-random-ops.js';
import { compareGradients } from '../testing/fixed-gradients.js';
import { FixedNetwork } from './fixed-network.js';
import type { MicroFixedConfig } from './micro-network.js';
import { fixedNetworkCost } from './network-cost.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 11 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const PAPER: MicroFixedConfig = {
  layers: 15,
  filters: 36,
  inputChannels: 3,
  imageSize: 32,
  classes: 10,
  keepProb: 0.8,
  dropPathKeep: 0.6,
  auxHead: true,
};

/**
 * The trainable-parameter count of the official fixed micro network (`micro_child.py`, fixed arc), derived
 * here from the official code, independently of the builder: per cell the calibration 1×1 convs or factorized
 * reduction, `layer_base`, two-stack separable convs, factorized reductions of strided identities and of
 * unused inputs of reduction cells; then stem, FC. Every conv and BN counted as weights + γ + β.
 */
function officialMicroParameters(arch: MicroArchitecture, L: number, C0: number, classes: number): number {
  const conv = (cin: number, cout: number, k = 1) => cin * cout * k * k + 2 * cout; // conv + its BN
  const fr = (cin: number, cout: number) => 2 * cin * (cout / 2) + 2 * cout; // two 1×1 paths + BN
  const sep = (c: number, k: number) => 2 * (c * k * k + c * c + 2 * c); // two (depthwise, pointwise, BN) stacks
  const d = Math.floor(L / 3);
  const reductions = [d, 2 * d + 1];
  let C = C0;
  let total = 27 * 3 * C0 + 2 * 3 * C0; // stem
  let prev = { c: 3 * C0, size: 1 };
  let cur = { c: 3 * C0, size: 1 };
  for (let l = 0; l < L + 2; l++) {
    const reduce = reductions.includes(l);
    if (reduce) C *= 2;
    if (prev.size !== cur.size) total += fr(prev.c, C);
    else if (prev.c !== C) total += conv(prev.c, C);
    if (cur.c !== C) total += conv(cur.c, C);
    total += conv(C, C); // layer_base
    const cell: MicroCell = reduce ? arch.reduction : arch.normal;
    for (const node of cell) {
      for (const side of [0, 1]) {
        const op = node.ops[side] as number;
        if (op <= 1) total += sep(C, op === 0 ? 3 : 5);
        if (op === 4 && reduce && (node.inputs[side] as number) < 2) total += fr(C, C);
      }
    }
    const unused = microCellOutputs(cell);
    if (reduce) total += unused.filter((i) => i < 2).length * fr(C, C);
    prev = cur;
    cur = { c: unused.length * C, size: reduce ? cur.size / 2 : cur.size };
  }
  return total + cur.c * classes;
}

describe('micro fixed network', () => {
  it('the published arc at paper size (15 layers, 36 filters) has the official parameter count; the paper says 4.6M', () => {
    const arch = parseMicroArchitecture(PUBLISHED_MICRO_ARC);
    const net = new FixedNetwork(engine, { space: 'micro', arch, config: PAPER }, new Rng(1), 'micro-paper');
    const cost = fixedNetworkCost(net);
    expect(cost.parameters).toBe(officialMicroParameters(arch, 15, 36, 10));
    // 3.89M without the aux head (what the official code prints), 4.39M with it: 5% under the paper's 4.6M.
    expect(cost.parameters).toBeGreaterThan(3.8e6);
    expect(cost.parameters).toBeLessThan(4.0e6);
    expect(Math.abs(cost.parameters + cost.auxHeadParameters - 4.6e6) / 4.6e6).toBeLessThan(0.06);
    // Aux head on cell 12 (5 unused nodes × 144 channels, 8×8): 1×1 conv → 128, 2×2 conv → 768, FC → 10, two BNs.
    expect(cost.auxHeadParameters).toBe(5 * 144 * 128 + 2 * 128 + 2 * 2 * 128 * 768 + 2 * 768 + 768 * 10);
    expect(cost.multiplyAdds).toBeGreaterThan(5e8);
    expect(cost.flops).toBe(2 * cost.multiplyAdds);
    // The reduction cells of 17: 5 and 11 (layer_5 is the first with 72 filters).
    expect(net.params.slot('layer_5/layer_base/w').shape).toEqual([72, 72, 1, 1]);
    expect(net.params.slot('layer_11/layer_base/w').shape).toEqual([144, 144, 1, 1]);
    expect(net.params.has('layer_12/cell_0/x_conv/stack_0/depthwise') || net.params.has('layer_12/cell_0/y_conv/stack_0/depthwise')).toBe(
      true,
    );
  });

  // 5 cells (reductions at 1 and 3), 3 nodes. Normal: 1 sep3 · 1 id | 2 avg · 1 max | 2 sep5 · 3 id (unused: 0, 4).
  // Reduction: 1 id (→ factorized reduction) · 1 sep5 | 1 max · 2 sep3 | 1 avg · 3 id (unused: 0 → reduced, 4).
  const ARC = '1 0 1 4 2 2 1 3 2 1 3 4   1 4 1 1 1 3 2 0 1 2 3 4';
  const tiny: MicroFixedConfig = { ...PAPER, layers: 3, filters: 4, imageSize: 20, classes: 3, dropPathKeep: 0.5 };

  it('loss and every gradient, with aux head (weight 0.4), drop-path and dropout on, match the float64 twin', async () => {
    const arch = parseMicroArchitecture(ARC);
    const net = new FixedNetwork(engine, { space: 'micro', arch, config: tiny }, new Rng(2), 'micro-grad');
    const r = new Rng(3);
    const N = 4;
    const images = r.f32(N * 3 * 20 * 20, -1, 1);
    const labels = [2, 0, 1, 1];
    // At full progress the keep probabilities are 0.9, 0.8, 0.7, 0.6, 0.5 by cell.
    const options = { training: true, progress: 1 };

    const step = engine.beginStep('micro-fixed-grad');
    const random = engine.randomState;
    net.group.zeroGrads();
    const x = engine.input(images, [N, 3, 20, 20], 'x');
    const y = engine.input(Uint32Array.from(labels), [N], 'y');
    const out = net.forward(x, options);
    const loss = add(crossEntropy(out.logits, y), scale(crossEntropy(out.auxLogits as Tensor, y), 0.4));
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const w = await f64Weights(net.namedParameters());
    const ops = f64CnnOpsWithRandom(random);
    const dropPath = ops.dropPath;
    let paths = 0;
    let dropped = 0;
    ops.dropPath = (h, keep) => {
      const kept = dropPath(h, keep);
      const per = h.size / (h.shape[0] as number);
      for (let n = 0; n < (h.shape[0] as number); n++) {
        paths += 1;
        if (kept.data.subarray(n * per, (n + 1) * per).every((v) => v === 0)) dropped += 1;
      }
      return kept;
    };
    const ref = net.forwardWith(ops, w, f64.leaf(images, [N, 3, 20, 20]), options);
    const refLoss = f64.add(f64.crossEntropy(ref.logits, labels), f64.scale(f64.crossEntropy(ref.auxLogits as F64, labels), 0.4));
    f64.backward(refLoss, [1]);
    // 5 cells × 6 non-identity ops... (3 or 4 per cell) × 4 images: some paths are dropped, most are kept.
    expect(paths).toBeGreaterThan(40);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(paths / 2);
    expectClose(await lossValue, refLoss.data, { label: 'loss' });
    expect(await compareGradients(net, w.leaves)).toBe(net.params.slotCount);
    expect([...w.leaves.keys()].some((k) => k.startsWith('aux_head/'))).toBe(true);
  });

  it('evaluates in inference mode with the running averages a training step updated', async () => {
    const arch = parseMicroArchitecture(ARC);
    const net = new FixedNetwork(engine, { space: 'micro', arch, config: { ...tiny, auxHead: false } }, new Rng(4), 'micro-eval');
    const images = new Rng(5).f32(2 * 3 * 20 * 20, -1, 1);
    const [, mean] = net.namedBuffers().find(([k]) => k === 'stem/bn/moving_mean') as [string, Tensor];
    const before = await download(ctx, mean.data, mean.size);
    expect([...before].every((v) => v === 0)).toBe(true);
    let step = engine.beginStep('train');
    engine.noGrad(() => net.forward(engine.input(images, [2, 3, 20, 20]), { training: true, progress: 0 }));
    step.submit();
    const after = await download(ctx, mean.data, mean.size);
    expect([...after].some((v) => v !== 0)).toBe(true);
    step = engine.beginStep('eval');
    const out = engine.noGrad(() => net.forward(engine.input(images, [2, 3, 20, 20]), { training: false, progress: 0 }));
    expect(out.auxLogits).toBeUndefined();
    const logits = step.read(out.logits);
    step.submit();
    const values = await logits;
    expect(values.length).toBe(6);
    expect([...values].every(Number.isFinite)).toBe(true);
  });

  it('refuses bad configurations with the problem and the fix', () => {
    const arch = parseMicroArchitecture(ARC);
    const make = (config: Partial<MicroFixedConfig>, group: string) =>
      new FixedNetwork(engine, { space: 'micro', arch, config: { ...tiny, ...config } }, new Rng(1), group);
    expect(() => make({ filters: 5 }, 'bad-1')).toThrow(/filters must be an even integer/);
    expect(() => make({ layers: 0 }, 'bad-2')).toThrow(/layers must be an integer >= 1/);
    expect(() => make({ dropPathKeep: 0 }, 'bad-3')).toThrow(/dropPathKeep must be in \(0, 1\]/);
    expect(() => make({ imageSize: 8 }, 'bad-4')).toThrow(/aux head needs at least 5×5 features/);
    make({ auxHead: false }, 'ok');
    expect(() => make({ auxHead: false }, 'ok')).toThrow(/parameter group 'ok' holds parameters already/);
  });
});
