/**
 * Adam as TensorFlow's AdamOptimizer. The ENAS controller uses β1 = 0 and ε = 1e-3 (`src/utils.py` L218).
 * The step count t lives in the hyper buffer and is written by the CPU before each update (4 bytes).
 */
import { adamUpdate, type BufferSlice, HYPER, type HyperSlots, type Recorder, writeHyper } from '@enas-webgpu/wgsl-kernels';
import type { ParameterGroup } from '../memory/parameter-group.js';
import type { PersistentStore } from '../memory/persistent-store.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  private readonly m: PersistentStore;
  private readonly v: PersistentStore;
  /** Updates applied so far (Adam's t after the next update is this + 1). */
  t = 0;

  constructor(
    group: ParameterGroup,
    private readonly adam: AdamOptions,
  ) {
    super(group, adam);
    this.m = this.mirrorStore('adam-m');
    this.v = this.mirrorStore('adam-v');
  }

  override scalarState(): Record<string, number> {
    return { ...super.scalarState(), t: this.t };
  }

  override restoreScalarState(s: Record<string, number>): void {
    super.restoreScalarState(s);
    if (typeof s.t === 'number') this.t = s.t;
  }

  override step(rec?: Recorder): void {
    this.t += 1;
    writeHyper(this.group.ctx, this.hyper, HYPER.step, [this.t]);
    super.step(rec);
  }

  protected updateChunk(
    rec: Recorder,
    pair: { param: BufferSlice; grad: BufferSlice; floats: number },
    i: number,
    slots: HyperSlots,
  ): void {
    adamUpdate(
      rec,
      {
        param: pair.param,
        grad: pair.grad,
        m: this.stateChunk(this.m, i, pair.floats),
        v: this.stateChunk(this.v, i, pair.floats),
        hyper: this.hyper,
      },
      pair.floats,
      {
        slots: { ...slots, step: HYPER.step },
        beta1: this.adam.beta1 ?? 0.9,
        beta2: this.adam.beta2 ?? 0.999,
        epsilon: this.adam.epsilon ?? 1e-8,
        weightDecay: this.adam.weightDecay ?? 0,
      },
    );
  }
}
