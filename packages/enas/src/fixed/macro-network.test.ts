import { add, backward, crossEntropy, Engine, scale, type Tensor } from '@enas-webgpu/autograd';
import { type F64, f64 } from '@enas-webgpu/autograd/testing';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MacroArchitecture, macroSkipSources, parseMacroArchitecture } from '../arch/macro.js';
import { PUBLISHED_MACRO_ARC } from '../arch/published.js';
import { f64Weights } from '../testing/f64-cnn-ops.js';
import { f64CnnOpsWithRandom } from '../testing/f64-random-ops.js';
import { compareGradients } from '../testing/fixed-gradients.js';
import { FixedNetwork } from './fixed-network.js';
import type { MacroFixedConfig } from './macro-network.js';
import { countingCnnOps, fixedNetworkCost } from './network-cost.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 12 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

/**
 * Trainable parameters of the fixed macro network as described in macro-network.ts, derived independently of
 * the builder: stem; per layer the 1×1 projection, the op (conv k×k, or depthwise k×k + pointwise), the skip
 * projection over (skips + 1)·C channels; at pool layers a factorized reduction of every output so far.
 */
function macroParameters(arch: MacroArchitecture, C0: number, classes: number): number {
  const L = arch.layers.length;
  const d = Math.floor(L / 3);
  const pools = [d - 1, 2 * d - 1];
  let C = C0;
  let total = 27 * C + 2 * C;
  arch.layers.forEach((layer, i) => {
    total += C * C + 2 * C;
    const k = layer.op <= 1 ? 3 : 5;
    if (layer.op === 0 || layer.op === 2) total += k * k * C * C + 2 * C;
    if (layer.op === 1 || layer.op === 3) total += k * k * C + C * C + 2 * C;
    if (i > 0) total += (macroSkipSources(arch, i).length + 1) * C * C + 2 * C;
    if (pools.includes(i)) {
      total += (i + 2) * (2 * C * C + 4 * C);
      C *= 2;
    }
  });
  return total + C * classes;
}

const PAPER: MacroFixedConfig = { filters: 96, inputChannels: 3, imageSize: 32, classes: 10, keepProb: 0.5, auxHead: false };

describe('macro fixed network', () => {
  it('the published arc builds at paper size (24 layers, 96 filters, channels doubled at layers 7 and 15)', () => {
    const arch = parseMacroArchitecture(PUBLISHED_MACRO_ARC);
    const net = new FixedNetwork(engine, { space: 'macro', arch, config: PAPER }, new Rng(1), 'macro-paper');
    const cost = fixedNetworkCost(net);
    expect(cost.parameters).toBe(macroParameters(arch, 96, 10));
    expect(cost.auxHeadParameters).toBe(0);
    expect(net.params.slot('layer_7/conv_1x1/w').shape).toEqual([96, 96, 1, 1]);
    expect(net.params.slot('layer_8/conv_1x1/w').shape).toEqual([192, 192, 1, 1]);
    expect(net.params.slot('layer_16/conv_1x1/w').shape).toEqual([384, 384, 1, 1]);
    expect(net.params.slot('pool_at_15/from_16/path1').shape).toEqual([192, 192, 1, 1]);
    // The published arc uses separable convs (ids 1, 3): depthwise + pointwise, not full convolutions.
    expect(net.params.slot('layer_1/sep_conv_5x5/stack_0/depthwise').shape).toEqual([96, 5, 5]);
    expect(cost.parameters).toBeGreaterThan(25e6);
    expect(cost.parameters).toBeLessThan(35e6);
  });

  // 6 layers (pools after 1 and 3): every op once; skips from the stem (bit 0) and from earlier layers.
  const ARC = '0  1 1  2 0 1  3 1 0 1  4 0 1 1 0  5 1 0 0 1 1';
  const tiny: MacroFixedConfig = { filters: 4, inputChannels: 3, imageSize: 20, classes: 3, keepProb: 0.8, auxHead: true };

  it('counts shapes and multiply-adds by running its own forward over shapes', () => {
    const arch = parseMacroArchitecture(ARC);
    const net = new FixedNetwork(engine, { space: 'macro', arch, config: { ...tiny, auxHead: false } }, new Rng(1), 'macro-count');
    const { ops, multiplyAdds } = countingCnnOps();
    const shapes = { slot: (k: string) => ({ shape: net.weights.slot(k).shape }), running: () => undefined };
    const out = net.forwardWith(ops, shapes, { shape: [1, 3, 20, 20] }, { training: false, progress: 0 });
    expect(out.logits.shape).toEqual([1, 3]);
    // Stem 3×3 conv 3 → 4 on 20×20, then layer 0: 1×1 (4 → 4) and 3×3 (4 → 4) on 20×20, ...
    expect(multiplyAdds()).toBeGreaterThan(400 * (27 * 4 + 16 + 9 * 16));
    expect(fixedNetworkCost(net).multiplyAdds).toBe(multiplyAdds());
  });

  it('loss and every gradient (all six ops, skips, pool layers, aux head, dropout) match the float64 twin', async () => {
    const arch = parseMacroArchitecture(ARC);
    const net = new FixedNetwork(engine, { space: 'macro', arch, config: tiny }, new Rng(2), 'macro-grad');
    // The aux head normalises 1×1 maps, over N values per channel: with N = 3 a channel's σ can be small enough
    // to amplify f32 rounding past 1e-3 (seen: 1.5e-3 on aux_head/avg_pool/w); 4 images, as the micro test.
    const N = 4;
    const images = new Rng(3).f32(N * 3 * 20 * 20, -1, 1);
    const labels = [2, 0, 1, 1];
    const options = { training: true, progress: 1 };
    const step = engine.beginStep('macro-fixed-grad');
    const random = engine.randomState;
    net.group.zeroGrads();
    const y = engine.input(Uint32Array.from(labels), [N], 'y');
    const out = net.forward(engine.input(images, [N, 3, 20, 20], 'x'), options);
    const loss = add(crossEntropy(out.logits, y), scale(crossEntropy(out.auxLogits as Tensor, y), 0.4));
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const w = await f64Weights(net.namedParameters());
    const ref = net.forwardWith(f64CnnOpsWithRandom(random), w, f64.leaf(images, [N, 3, 20, 20]), options);
    const refLoss = f64.add(f64.crossEntropy(ref.logits, labels), f64.scale(f64.crossEntropy(ref.auxLogits as F64, labels), 0.4));
    f64.backward(refLoss, [1]);
    expectClose(await lossValue, refLoss.data, { label: 'loss' });
    expect(await compareGradients(net, w.leaves)).toBe(net.params.slotCount);
  });

  it('refuses bad configurations with the problem and the fix', () => {
    const make = (arc: string, config: Partial<MacroFixedConfig>, group: string) =>
      new FixedNetwork(engine, { space: 'macro', arch: parseMacroArchitecture(arc), config: { ...tiny, ...config } }, new Rng(1), group);
    expect(() => make(ARC, { filters: 3 }, 'macro-bad-1')).toThrow(/filters must be an even integer/);
    expect(() => make('0 1 1', { auxHead: true }, 'macro-bad-2')).toThrow(/a 2-layer network has none \(it needs L >= 3\)/);
    expect(() => make(ARC, { imageSize: 8 }, 'macro-bad-3')).toThrow(/aux head needs at least 5×5 features/);
    expect(() => make(ARC, { keepProb: 0 }, 'macro-bad-4')).toThrow(/keepProb must be in \(0, 1\]/);
  });
});
