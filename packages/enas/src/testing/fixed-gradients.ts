import type { Tensor } from '@enas-webgpu/autograd';
import type { F64 } from '@enas-webgpu/autograd/testing';
import { download, expectClose } from '@enas-webgpu/wgsl-kernels/testing';
import type { FixedNetwork } from '../fixed/fixed-network.js';

/**
 * Compares every parameter gradient with the float64 twin's; returns how many were compared. Long sums over batch
 * and space: rtol 1e-3, as for matmul. Some gradients vanish exactly in exact arithmetic (a BN shift whose output
 * only feeds 1×1 convs into another BN, which removes any per-channel constant), and f32 leaves rounding noise
 * there; such tensors are judged on the scale of the whole network's gradients (a tenth of their mean magnitude: f32 noise there was measured up to 1.5e-5 of it).
 */
export async function compareGradients(net: FixedNetwork, leaves: Map<string, F64>): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const leaf of leaves.values()) {
    for (const g of leaf.grad) sum += Math.abs(g);
    count += leaf.size;
  }
  const networkScale = sum / count;
  let compared = 0;
  for (const [key, t] of net.namedParameters()) {
    const expected = (leaves.get(key) as F64).grad;
    const meanAbs = expected.reduce((s, g) => s + Math.abs(g), 0) / expected.length;
    const actual = await download(t.engine.ctx, (t.grad as Tensor).data, t.size);
    expectClose(actual, expected, { rtol: 1e-3, floor: Math.max(meanAbs, 0.1 * networkScale), label: `grad ${key}` });
    compared += 1;
  }
  return compared;
}
