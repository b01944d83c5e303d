/**
 * Four SGD (Nesterov, weight decay) steps of the shared network on a fixed child, on the GPU and in float64: the
 * losses and every weight of the pool agree, so forward, backward and the update compose correctly over steps.
 */
import { backward, crossEntropy, Engine, SGD } from '@enas-webgpu/autograd';
import { f64 } from '@enas-webgpu/autograd/testing';
import { reference as R, Rng, readF32 } from '@enas-webgpu/wgsl-kernels';
import { expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { expect, it } from 'vitest';
import { parseMicroArchitecture } from '../arch/micro.js';
import { f64CnnOps, f64Weights } from '../testing/f64-cnn-ops.js';
import { MicroSearchNetwork, microSearchForward } from './search-network.js';

it('training steps of a child match float64 training, weights included', async () => {
  const ctx = await testContext();
  const engine = new Engine(ctx, { seed: 1 });
  const cfg = { layers: 3, nodes: 2, filters: 4, inputChannels: 3, imageSize: 8, classes: 3, keepProb: 1, auxHead: false };
  const net = new MicroSearchNetwork(engine, cfg, new Rng(2), 'g');
  const opt = new SGD(net.pool.group, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 2e-4 });
  const arch = parseMicroArchitecture('0 0 1 2 2 1 0 3   1 4 0 1 2 3 1 0');
  const r = new Rng(3);
  const images = r.f32(4 * 3 * 8 * 8, -1, 1);
  const labels = [2, 0, 1, 1];
  const w = await f64Weights(net.pool.entries());
  const acc = new Map<string, Float64Array>();
  for (let s = 0; s < 4; s++) {
    const step = engine.beginStep('s');
    opt.zeroGrad();
    const loss = crossEntropy(
      net.forward(engine.input(images, [4, 3, 8, 8], 'x'), arch, true).logits,
      engine.input(Uint32Array.from(labels), [4], 'y'),
    );
    backward(loss);
    opt.step();
    const lv = step.read(loss);
    step.submit();
    for (const leaf of w.leaves.values()) leaf.grad.fill(0);
    const ref = f64.crossEntropy(microSearchForward(f64CnnOps, w, cfg, arch, f64.leaf(images, [4, 3, 8, 8]), true).logits, labels);
    f64.backward(ref, [1]);
    for (const [k, leaf] of w.leaves) {
      const a = acc.get(k) ?? new Float64Array(leaf.size);
      const res = R.sgdMomentumRef(leaf.data, a, leaf.grad, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 2e-4 });
      leaf.data.set(res.param);
      acc.set(k, res.accum);
    }
    expectClose(await lv, ref.data, { rtol: 1e-4, label: `loss at step ${s}` });
  }
  expect((await readF32(ctx, { ...net.pool.slot('fc/w').data, size: 4 }))[0]).not.toBe(0);
  for (const [k, t] of net.pool.entries()) {
    const values = await readF32(ctx, { ...t.data, size: t.size * 4 });
    // Weights after 4 updates through a deep stack of batch norms: f32 rounding accumulates; 1e-3 as for long
    // reductions, far below the size of an update.
    expectClose(values, (w.leaves.get(k) as { data: Float64Array }).data, { rtol: 1e-3, label: `weights ${k}` });
  }
  ctx.destroy();
}, 300_000);
