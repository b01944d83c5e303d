import { backward, crossEntropy, Engine, type Tensor } from '@enas-webgpu/autograd';
import { f64 } from '@enas-webgpu/autograd/testing';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMacroArchitecture } from '../arch/macro.js';
import { f64CnnOps, f64Weights } from '../testing/f64-cnn-ops.js';
import { type MacroSearchConfig, MacroSearchNetwork, macroSearchForward } from './search-network.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 9 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

// 4 layers of 8 channels on 8×8 images: pooling after layers 0 and 1 (L // 3 = 1), so 8×8 → 4×4 → 2×2.
const tiny: MacroSearchConfig = { layers: 4, filters: 8, inputChannels: 3, imageSize: 8, classes: 3, keepProb: 1 };

describe('macro search network', () => {
  it('builds every slot of the pool, addressed by (layer, branch), with a reduction per output at each pool layer', () => {
    const net = new MacroSearchNetwork(engine, tiny, new Rng(1), 'macro-build');
    expect(net.poolLayers).toEqual([0, 1]);
    expect(net.pool.has('layer_3/branch_3/out_conv_5/w_depth')).toBe(true);
    expect(net.pool.has('layer_3/branch_2/out_conv_5/w')).toBe(true);
    expect(net.pool.has('layer_2/branch_5/conv_1/w')).toBe(true);
    expect(net.pool.has('layer_0/skip/bn/scale')).toBe(false); // layer 0 has no skip inputs
    expect(net.pool.has('layer_1/pool_at_1/from_2/path1')).toBe(true); // stem, layer 0, layer 1
    expect(net.pool.has('layer_1/pool_at_1/from_3/path1')).toBe(false);
    expect(net.pool.slot('layer_1/branch_1/out_conv_3/w_depth').shape).toEqual([8, 3, 3]);
    expect(() => new MacroSearchNetwork(engine, { ...tiny, filters: 7 }, new Rng(1), 'odd')).toThrow(/filters must be an even integer/);
    expect(() => new MacroSearchNetwork(engine, { ...tiny, imageSize: 2, layers: 6 }, new Rng(1), 'small')).toThrow(
      /2×2 images cannot be halved 2 times/,
    );
  });

  // Every op once, and skips from the stem (bit 0) and from layers before and after a pooling layer.
  it.each(['0  3 1  4 1 0  5 1 1 1', '1  2 0  0 0 1  4 0 1 0'])(
    "a fixed child's loss and every pool gradient match its float64 reference (arc %s)",
    async (arc) => {
      const net = new MacroSearchNetwork(engine, tiny, new Rng(2), `macro-grad-${arc}`);
      const arch = parseMacroArchitecture(arc, { layers: 4 });
      const r = new Rng(3);
      // BN γ, β away from their initial 1 and 0: with β = 0, ReLU(γ·x̂) is γ·ReLU(x̂) and a following
      // batch-statistics BN cancels γ, so many γ gradients would be zero by construction.
      for (const [key, t] of net.pool.entries()) {
        const bn = key.endsWith('/scale') ? r.f32(t.size, 0.5, 1.5) : key.endsWith('/offset') ? r.f32(t.size, -0.5, 0.5) : undefined;
        if (bn) ctx.writeBuffer(t.data.buffer, t.data.offset, bn);
      }
      const images = r.f32(2 * 3 * 8 * 8, -1, 1);
      const labels = [2, 0];

      const step = engine.beginStep('macro-grad');
      net.pool.group.zeroGrads();
      const x = engine.input(images, [2, 3, 8, 8], 'x');
      const loss = crossEntropy(net.forward(x, arch, true).logits, engine.input(Uint32Array.from(labels), [2], 'y'));
      backward(loss);
      const lossValue = step.read(loss);
      step.submit();

      const w = await f64Weights(net.pool.entries());
      const ref = f64.crossEntropy(macroSearchForward(f64CnnOps, w, tiny, arch, f64.leaf(images, [2, 3, 8, 8]), true).logits, labels);
      f64.backward(ref, [1]);
      expectClose(await lossValue, ref.data, { label: 'loss' });
      // Some BN offsets still feed only (linearly) into another batch-statistics BN, the stem's and the pooled
      // outputs' among them (the branches start with a 1×1 conv, no ReLU): their gradient Σ dy is zero in exact
      // arithmetic and f32 leaves the rounding of the cancelled terms. An offset is therefore judged on the scale
      // of its own BN's γ gradient, Σ dy·x̂, made of the same terms (|x̂| ~ 1); every other tensor on its own scale.
      const expected = new Map([...net.pool.entries()].map(([key]) => [key, (w.leaves.get(key) as typeof ref).grad]));
      const meanAbs = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + Math.abs(b), 0) / v.length;
      let checked = 0;
      let used = 0;
      for (const [key, t] of net.pool.entries()) {
        const g = await download(ctx, (t.grad as Tensor).data, t.size);
        const e = expected.get(key) as Float64Array;
        const gamma = key.endsWith('/offset') ? expected.get(key.replace(/offset$/, 'scale')) : undefined;
        const floor = Math.max(meanAbs(e), gamma ? meanAbs(gamma) : 0, 1e-30);
        // Long sums over batch and space: 1e-3 as for matmul; unused slots must stay exactly zero.
        expectClose(g, e, { rtol: 1e-3, floor, label: `grad ${key}` });
        checked += 1;
        if (meanAbs(e) > 0) used += 1;
      }
      expect(checked).toBe(net.pool.slotCount);
      expect(used).toBeGreaterThan(20); // the comparison covered the sampled branches, not just zeros
    },
  );

  it('rejects an architecture with another number of layers', () => {
    const net = new MacroSearchNetwork(engine, tiny, new Rng(4), 'macro-bad');
    engine.beginStep('bad');
    const x = engine.input(new Float32Array(3 * 64), [1, 3, 8, 8], 'x');
    expect(() => net.forward(x, parseMacroArchitecture('0 1 0 2 0 0'), true)).toThrow(
      /the architecture has 3 layers but the network was built for 4/,
    );
  });
});
