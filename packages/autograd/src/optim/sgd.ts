/**
 * SGD with (Nesterov) momentum and L2 weight decay, as TensorFlow's MomentumOptimizer, which the official ENAS child
 * training uses with momentum 0.9 and use_nesterov=True (`src/utils.py` get_train_ops); with momentum 0 it is plain
 * SGD (the ENAS language model: lr 20).
 */
import { type BufferSlice, type HyperSlots, type Recorder, sgdMomentumUpdate, sgdUpdate } from '@enas-webgpu/wgsl-kernels';
import type { ParameterGroup } from '../memory/parameter-group.js';
import type { PersistentStore } from '../memory/persistent-store.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  private readonly accum: PersistentStore | undefined;

  constructor(
    group: ParameterGroup,
    private readonly sgd: SgdOptions,
  ) {
    super(group, sgd);
    this.accum = (sgd.momentum ?? 0) > 0 ? this.mirrorStore('momentum') : undefined;
  }

  protected updateChunk(
    rec: Recorder,
    pair: { param: BufferSlice; grad: BufferSlice; floats: number },
    i: number,
    slots: HyperSlots,
  ): void {
    const weightDecay = this.sgd.weightDecay ?? 0;
    const hyper = this.hyper;
    if (!this.accum) {
      sgdUpdate(rec, { param: pair.param, grad: pair.grad, hyper }, pair.floats, { slots, weightDecay });
      return;
    }
    const accum = this.stateChunk(this.accum, i, pair.floats);
    sgdMomentumUpdate(rec, { param: pair.param, grad: pair.grad, accum, hyper }, pair.floats, {
      slots,
      weightDecay,
      momentum: this.sgd.momentum ?? 0,
      nesterov: this.sgd.nesterov ?? false,
    });
  }
}
