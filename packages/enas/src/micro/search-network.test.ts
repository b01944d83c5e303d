import { backward, crossEntropy, Engine, type Tensor } from '@enas-webgpu/autograd';
import { f64 } from '@enas-webgpu/autograd/testing';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMicroArchitecture } from '../arch/micro.js';
import { f64CnnOps, f64Weights } from '../testing/f64-cnn-ops.js';
import { type MicroSearchConfig, MicroSearchNetwork, microSearchForward } from './search-network.js';

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

// 5 cells, reductions at cells 1 and 3, 2 nodes per cell.
const tiny: MicroSearchConfig = {
  layers: 3,
  nodes: 2,
  filters: 4,
  inputChannels: 3,
  imageSize: 8,
  classes: 3,
  keepProb: 1,
  auxHead: false,
};
// Every op once per cell, inputs reading both cell inputs and the first node: normal then reduction.
const ARC = '0 0 1 2 2 1 0 3   1 4 0 1 2 3 1 0';

describe('micro search network', () => {
  it('builds every slot of the pool, addressed by (layer, node, input, op)', () => {
    const net = new MicroSearchNetwork(engine, tiny, new Rng(1), 'micro-build');
    expect(net.reductionLayers).toEqual([1, 3]);
    expect(net.pool.has('layer_2/node_1/in_2/sep_conv_5x5/stack_1/depthwise')).toBe(true);
    expect(net.pool.has('layer_2/node_1/in_3/sep_conv_5x5/stack_1/depthwise')).toBe(false); // node 1 reads 0..2
    expect(() => new MicroSearchNetwork(engine, { ...tiny, filters: 5 }, new Rng(1), 'odd')).toThrow(/filters must be even/);
  });

  it("a fixed child's loss and every pool gradient match its float64 reference", async () => {
    const net = new MicroSearchNetwork(engine, tiny, new Rng(2), 'micro-grad');
    const arch = parseMicroArchitecture(ARC);
    const r = new Rng(3);
    const images = r.f32(2 * 3 * 8 * 8, -1, 1);
    const labels = [2, 0];

    const step = engine.beginStep('micro-grad');
    net.pool.group.zeroGrads();
    const x = engine.input(images, [2, 3, 8, 8], 'x');
    const loss = crossEntropy(net.forward(x, arch, true).logits, engine.input(Uint32Array.from(labels), [2], 'y'));
    backward(loss);
    const lossValue = step.read(loss);
    step.submit();

    const w = await f64Weights(net.pool.entries());
    const ref = f64.crossEntropy(microSearchForward(f64CnnOps, w, tiny, arch, f64.leaf(images, [2, 3, 8, 8]), true).logits, labels);
    f64.backward(ref, [1]);
    expectClose(await lossValue, ref.data, { label: 'loss' });
    let checked = 0;
    for (const [key, t] of net.pool.entries()) {
      const g = (t.grad as Tensor).data;
      // Long sums over batch and space: 1e-3 as for matmul; unused slots must stay exactly zero.
      expectClose(await download(ctx, g, t.size), (w.leaves.get(key) as typeof ref).grad, { rtol: 1e-3, label: `grad ${key}` });
      checked += 1;
    }
    expect(checked).toBe(net.pool.slotCount);
  });
});
