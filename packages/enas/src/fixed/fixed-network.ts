/**
 * FixedNetwork: one architecture of the micro or macro space as a CIFAR network with its own parameters (no
 * sharing, unlike the search network's weight pool), for training from scratch and evaluation.
 *
 * The network is described once (micro-network.ts, macro-network.ts) as a build over a BlockBuilder and a
 * forward over CnnOps; this class holds the GPU tensors and runs that forward on the engine, and any other
 * CnnOps (the float64 twin in tests, the cost counter of network-cost.ts) can run the same forward on the same
 * weights. Parameters are He-normal (TF's He-normal draws from the truncated normal; here the plain normal, as
 * the search network), BN γ = 1, β = 0, running mean 0 and variance 1.
 */
import { type Engine, heNormal, type ParameterGroup, type Tensor } from '@enas-webgpu/autograd';
import type { Rng } from '@enas-webgpu/wgsl-kernels';
import { type MacroArchitecture, printMacroArchitecture, validateMacroArchitecture } from '../arch/macro.js';
import { type MicroArchitecture, printMicroArchitecture, validateMicroArchitecture } from '../arch/micro.js';
import { BlockBuilder } from '../cnn/blocks.js';
import { type CnnOps, gpuCnnOps, type WeightSource } from '../cnn/ops.js';
import type { CnnOutput } from '../micro/search-network.js';
import { WeightPool } from '../pool/weight-pool.js';
import type { FixedForwardOptions } from './fixed-config.js';
import { buildMacroFixed, type MacroFixedConfig, macroFixedForward } from './macro-network.js';
import { buildMicroFixed, type MicroFixedConfig, microFixedForward } from './micro-network.js';

/** An architecture with the configuration of its network. */
export type FixedNetworkSpec =
  | { readonly space: 'micro'; readonly arch: MicroArchitecture; readonly config: MicroFixedConfig }
  | { readonly space: 'macro'; readonly arch: MacroArchitecture; readonly config: MacroFixedConfig };

/** Keys under this prefix belong to the auxiliary head (left out of the official parameter count). */
export const AUX_HEAD_PREFIX = 'aux_head/';

export class FixedNetwork {
  /** The network's own parameters by key (a keyed ParameterGroup: the WeightPool class, with nothing shared). */
  readonly params: WeightPool;
  private readonly blocks: BlockBuilder;
  private readonly gpu: CnnOps<Tensor>;

  constructor(
    readonly engine: Engine,
    readonly spec: FixedNetworkSpec,
    rng: Rng,
    groupName = 'fixed',
  ) {
    const group = engine.group(groupName);
    if (group.tensors.length > 0)
      throw new Error(`FixedNetwork: parameter group '${groupName}' holds parameters already; pass another groupName`);
    this.params = new WeightPool(group);
    this.blocks = new BlockBuilder(
      engine,
      (k, s, v) => this.params.create(k, s, v),
      (n, fanIn) => heNormal(rng, n, fanIn),
    );
    this.gpu = gpuCnnOps(engine);
    if (spec.space === 'micro') {
      validateMicroArchitecture(spec.arch);
      buildMicroFixed(this.blocks, spec.config, spec.arch);
    } else {
      validateMacroArchitecture(spec.arch);
      buildMacroFixed(this.blocks, spec.config, spec.arch);
    }
  }

  get space(): 'micro' | 'macro' {
    return this.spec.space;
  }

  get group(): ParameterGroup {
    return this.params.group;
  }

  /** The official arc string of the architecture. */
  get arc(): string {
    return this.spec.space === 'micro' ? printMicroArchitecture(this.spec.arch) : printMacroArchitecture(this.spec.arch);
  }

  get weights(): WeightSource<Tensor> {
    return { slot: (k) => this.params.slot(k), running: (k) => this.blocks.running.get(k) };
  }

  /** Logits (and aux logits in training) for images x [N, Cin, H, W] on the GPU. */
  forward(x: Tensor, options: FixedForwardOptions): CnnOutput<Tensor> {
    return this.forwardWith(this.gpu, this.weights, x, options);
  }

  /** The same forward over any CnnOps and weights with this network's keys. */
  forwardWith<T>(o: CnnOps<T>, w: WeightSource<T>, x: T, options: FixedForwardOptions): CnnOutput<T> {
    const s = this.spec;
    return s.space === 'micro'
      ? microFixedForward(o, w, s.config, s.arch, x, options)
      : macroFixedForward(o, w, s.config, s.arch, x, options);
  }

  /** Trainable tensors by checkpoint name (their keys). */
  namedParameters(): [string, Tensor][] {
    return [...this.params.entries()];
  }

  /** BN running averages by checkpoint name (`<bn key>/moving_mean`, `/moving_variance`). */
  namedBuffers(): [string, Tensor][] {
    return this.blocks.namedRunning();
  }
}
