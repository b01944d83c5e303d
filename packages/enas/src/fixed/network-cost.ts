/**
 * What a fixed network costs: trainable parameters, and multiply-adds per image of one inference.
 *
 * Parameters are counted as the official code prints "Model has N params" (`micro_child.py` _build_train,
 * `count_model_params` over the trainable variables): every conv, depthwise, FC weight and BN γ/β, no running
 * averages, and without the aux head (the official list excludes `aux_head` variables; here they train, and
 * are reported apart). The paper's micro model (published arc, 15 layers, 36 filters) has 4.6M.
 *
 * Multiply-adds are counted by running the network's own forward over shapes only (CnnOps whose "tensors" are
 * shapes), in inference mode: one per weight use of convs, depthwise convs and the classifier. Batch norm,
 * ReLU, pools, additions and concatenations are left out (a few per element, small next to the convolutions),
 * as in the mult-add counts NAS papers report. `flops` is 2 × multiply-adds.
 */
import { convOutputSize, pool2dOutputShape } from '@enas-webgpu/wgsl-kernels';
import type { CnnOps, ConvOptions, PoolOptions, WeightSource } from '../cnn/ops.js';
import { AUX_HEAD_PREFIX, type FixedNetwork } from './fixed-network.js';

export interface NetworkCost {
  /** Trainable scalars without the aux head (the official count). */
  readonly parameters: number;
  /** Trainable scalars of the aux head (0 without one). */
  readonly auxHeadParameters: number;
  /** Multiply-adds of one inference of one image (convolutions and the classifier). */
  readonly multiplyAdds: number;
  /** 2 × multiplyAdds. */
  readonly flops: number;
}

/** A "tensor" of the counting ops: its shape only. */
interface Extent {
  readonly shape: readonly number[];
}

/** CnnOps that compute output shapes and add up multiply-adds (a network description run without data). */
export function countingCnnOps(): { ops: CnnOps<Extent>; multiplyAdds: () => number } {
  let macs = 0;
  const dims = (x: Extent) => x.shape as [number, number, number, number];
  const conv = (x: Extent, w: Extent, o: ConvOptions, depthwise: boolean): Extent => {
    const [N, Cin, H, W] = dims(x);
    const k = w.shape[w.shape.length - 1] as number;
    const Cout = depthwise ? Cin : (w.shape[0] as number);
    const { Hout, Wout } = convOutputSize({ H, W, k, stride: o.stride ?? 1, padding: o.padding ?? 'same' });
    macs += N * Cout * Hout * Wout * k * k * (depthwise ? 1 : Cin);
    return { shape: [N, Cout, Hout, Wout] };
  };
  const pool = (x: Extent, o: PoolOptions): Extent => {
    const [N, C, H, W] = dims(x);
    return { shape: pool2dOutputShape({ N, C, H, W, ...o }) };
  };
  const same = (x: Extent) => x;
  const ops: CnnOps<Extent> = {
    scope: (_name, fn) => fn(),
    shape: (x) => x.shape,
    conv2d: (x, w, o = {}) => conv(x, w, o, false),
    depthwise: (x, w, o = {}) => conv(x, w, o, true),
    bn: same,
    relu: same,
    add: same,
    sum: (xs) => xs[0] as Extent,
    avgPool: pool,
    maxPool: pool,
    stridedSample: (x, stride) => {
      const [N, C, H, W] = dims(x);
      return { shape: [N, C, Math.ceil(H / stride), Math.ceil(W / stride)] };
    },
    concat: (xs) => {
      const [N, , H, W] = dims(xs[0] as Extent);
      return { shape: [N, xs.reduce((s, x) => s + (x.shape[1] as number), 0), H, W] };
    },
    gap: (x) => ({ shape: dims(x).slice(0, 2) }),
    linear: (x, w) => {
      macs += (x.shape[0] as number) * (w.shape[0] as number) * (w.shape[1] as number);
      return { shape: [x.shape[0] as number, w.shape[1] as number] };
    },
    dropout: same,
    dropPath: same,
  };
  return { ops, multiplyAdds: () => macs };
}

export function fixedNetworkCost(net: FixedNetwork): NetworkCost {
  let parameters = 0;
  let auxHeadParameters = 0;
  for (const [key, t] of net.namedParameters()) {
    if (key.startsWith(AUX_HEAD_PREFIX)) auxHeadParameters += t.size;
    else parameters += t.size;
  }
  const { ops, multiplyAdds } = countingCnnOps();
  const shapes: WeightSource<Extent> = { slot: (key) => ({ shape: net.weights.slot(key).shape }), running: () => undefined };
  const c = net.spec.config;
  net.forwardWith(ops, shapes, { shape: [1, c.inputChannels, c.imageSize, c.imageSize] }, { training: false, progress: 0 });
  return { parameters, auxHeadParameters, multiplyAdds: multiplyAdds(), flops: 2 * multiplyAdds() };
}
