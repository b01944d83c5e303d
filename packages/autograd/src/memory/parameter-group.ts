/**
 * ParameterGroup: the parameters one optimizer trains, with their gradients in a mirrored store (same chunk, same
 * offset). Whole-group operations are then a handful of dispatches whatever the number of tensors: zeroing the
 * gradients, their global norm, and the update itself run once per chunk.
 *
 * This is also what the ENAS weight pool needs: the official code adds `l2_reg · Σ w²` over every variable to the
 * loss and updates every variable each step (`src/utils.py` get_train_ops), so a slot the sampled child did not use
 * still receives its weight-decay gradient and momentum — exactly a dense update over the whole pool.
 */
import { type BufferSlice, fill, type GpuContext, type Recorder } from '@enas-webgpu/wgsl-kernels';
import type { Engine } from '../engine.js';
import { type Shape, sizeOf, Tensor } from '../tensor.js';
import { PersistentStore } from './persistent-store.js';

export class ParameterGroup {
  readonly params: PersistentStore;
  readonly grads: PersistentStore;
  readonly tensors: Tensor[] = [];
  /**
   * True from zeroGrads until the optimizer consumes the gradients: every backward contribution, in this step or
   * later ones, adds to them (gradients averaged over several sampled architectures, as the ENAS controller does).
   */
  gradsLive = false;

  constructor(
    private readonly engine: Engine,
    readonly name: string,
  ) {
    this.params = new PersistentStore(engine.ctx, `params:${name}`);
    this.grads = new PersistentStore(engine.ctx, `grads:${name}`);
  }

  get ctx(): GpuContext {
    return this.engine.ctx;
  }

  /** A trainable tensor initialised from `values`. */
  parameter(values: Float32Array, shape: Shape, name: string): Tensor {
    const n = sizeOf(shape);
    if (values.length !== n) throw new Error(`parameter '${name}' has ${values.length} values but shape [${shape.join(', ')}] needs ${n}`);
    const data = this.params.alloc(n * 4, name);
    const grad = this.grads.alloc(n * 4, `grad(${name})`);
    if (data.offset !== grad.offset || this.params.chunks.length !== this.grads.chunks.length) {
      throw new Error(`parameter group '${this.name}': gradient store out of step with the parameter store`);
    }
    this.engine.ctx.writeBuffer(data.buffer, data.offset, values);
    const t = new Tensor({ engine: this.engine, shape, data, name, requiresGrad: true, step: -1, grad, group: this });
    this.tensors.push(t);
    return t;
  }

  /** Number of trainable scalars. */
  get size(): number {
    return this.tensors.reduce((s, t) => s + t.size, 0);
  }

  /** Per chunk: the parameter range and the gradient range (same length), for whole-group kernels. */
  chunkPairs(): { param: BufferSlice; grad: BufferSlice; floats: number }[] {
    const params = this.params.usedSlices();
    const grads = this.grads.usedSlices();
    return params.map((param, i) => ({ param, grad: grads[i] as BufferSlice, floats: param.size / 4 }));
  }

  /**
   * Zeroes every gradient of the group (one dispatch per chunk); from then on every backward contribution adds to
   * them, across steps, until the optimizer consumes them. Call before the first backward of an update.
   */
  zeroGrads(rec: Recorder = this.engine.rec): void {
    for (const { grad, floats } of this.chunkPairs()) fill(rec, grad, floats, 0);
    const step = this.engine.stepId;
    for (const t of this.tensors) t.gradStep = step;
    this.gradsLive = true;
  }

  destroy(): void {
    this.params.destroy();
    this.grads.destroy();
  }
}
