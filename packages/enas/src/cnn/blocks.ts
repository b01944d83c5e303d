/**
 * The building blocks the CIFAR search and fixed networks share, written once over CnnOps (GPU or float64 twin)
 * and a WeightSource (the weight pool, or a fixed network's own parameters). Official code: `micro_child.py`,
 * `general_child.py`, `image_ops.py`. Weight keys follow the official variable scopes.
 */
import type { Engine, Tensor } from '@enas-webgpu/autograd';
import type { CnnOps, RunningStats, WeightSource } from './ops.js';

/** Batch norm with the γ/β (and running averages) stored under `key` (`key/scale`, `key/offset`). */
export function bnAt<T>(o: CnnOps<T>, w: WeightSource<T>, key: string, x: T, training: boolean): T {
  return o.bn(x, w.slot(`${key}/scale`), w.slot(`${key}/offset`), w.running(key), training);
}

/** ReLU → conv (`key/w`) → BN (`key/bn`): the official calibration and projection unit. */
export function reluConvBn<T>(o: CnnOps<T>, w: WeightSource<T>, key: string, x: T, training: boolean, stride = 1): T {
  return bnAt(o, w, `${key}/bn`, o.conv2d(x, w.slot(`${key}/w`), { stride, padding: 'same', inputRelu: true }), training);
}

/**
 * A separable conv stack under `key/stack_i` (two in ENAS): ReLU → depthwise k×k → pointwise 1×1 → BN each; the
 * first depthwise may stride (reduction cells of fixed architectures).
 */
export function sepConvStack<T>(o: CnnOps<T>, w: WeightSource<T>, key: string, x: T, training: boolean, stride = 1, stacks = 2): T {
  let y = x;
  for (let i = 0; i < stacks; i++) {
    const k = `${key}/stack_${i}`;
    y = o.depthwise(y, w.slot(`${k}/depthwise`), { stride: i === 0 ? stride : 1, padding: 'same', inputRelu: true });
    y = bnAt(o, w, `${k}/bn`, o.conv2d(y, w.slot(`${k}/pointwise`), { padding: 'same' }), training);
  }
  return y;
}

/**
 * Halves the spatial size without dropping pixels (`_factorized_reduction`): path 1 takes the even pixels, path 2
 * the odd ones (pad right/bottom, crop the first row and column, stride 2), each projected by a 1×1 conv to half
 * the output channels (`key/path1`, `key/path2`); concatenated, then BN (`key/bn`). With `inputRelu` it reduces
 * relu(x): sampling commutes with the ReLU, so the ReLU is fused into the two convolutions.
 */
export function factorizedReduction<T>(o: CnnOps<T>, w: WeightSource<T>, key: string, x: T, training: boolean, inputRelu = false): T {
  const p1 = o.conv2d(o.stridedSample(x, 2, 0), w.slot(`${key}/path1`), { padding: 'valid', inputRelu });
  const p2 = o.conv2d(o.stridedSample(x, 2, 1), w.slot(`${key}/path2`), { padding: 'valid', inputRelu });
  return bnAt(o, w, `${key}/bn`, o.concat([p1, p2]), training);
}

/** Creates the tensors blocks read, for a network builder: parameters via `param`, running averages via the engine. */
export class BlockBuilder {
  readonly running = new Map<string, RunningStats>();

  constructor(
    private readonly engine: Engine,
    readonly param: (key: string, shape: number[], values: Float32Array) => Tensor,
    private readonly he: (count: number, fanIn: number) => Float32Array,
  ) {}

  conv(key: string, cout: number, cin: number, k: number): void {
    this.param(key, [cout, cin, k, k], this.he(cout * cin * k * k, cin * k * k));
  }

  depthwise(key: string, c: number, k: number): void {
    this.param(key, [c, k, k], this.he(c * k * k, k * k));
  }

  dense(key: string, inputs: number, outputs: number): void {
    this.param(key, [inputs, outputs], this.he(inputs * outputs, inputs));
  }

  /** γ = 1, β = 0 (TF's initialisers), and running mean 0 / variance 1 when the norm keeps them. */
  bn(key: string, channels: number, withRunning: boolean): void {
    this.param(`${key}/scale`, [channels], new Float32Array(channels).fill(1));
    this.param(`${key}/offset`, [channels], new Float32Array(channels));
    if (withRunning) {
      this.running.set(key, {
        mean: this.engine.persistent(new Float32Array(channels), [channels], `${key}/moving_mean`),
        variance: this.engine.persistent(new Float32Array(channels).fill(1), [channels], `${key}/moving_variance`),
      });
    }
  }

  reluConvBn(key: string, cout: number, cin: number, k = 1): void {
    this.conv(`${key}/w`, cout, cin, k);
    this.bn(`${key}/bn`, cout, true);
  }

  sepConvStack(key: string, cin: number, cout: number, k: number, stacks = 2, runningBn = true): void {
    for (let i = 0; i < stacks; i++) {
      const s = `${key}/stack_${i}`;
      const c = i === 0 ? cin : cout;
      this.depthwise(`${s}/depthwise`, c, k);
      this.conv(`${s}/pointwise`, cout, c, 1);
      this.bn(`${s}/bn`, cout, runningBn);
    }
  }

  factorizedReduction(key: string, cin: number, cout: number): void {
    if (cout % 2 !== 0) throw new Error(`factorized reduction '${key}' needs an even number of output channels, got ${cout}`);
    this.conv(`${key}/path1`, cout / 2, cin, 1);
    this.conv(`${key}/path2`, cout / 2, cin, 1);
    this.bn(`${key}/bn`, cout, true);
  }

  /** Running averages as named tensors (checkpoint names). */
  namedRunning(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, r] of this.running) out.push([`${key}/moving_mean`, r.mean], [`${key}/moving_variance`, r.variance]);
    return out;
  }
}
