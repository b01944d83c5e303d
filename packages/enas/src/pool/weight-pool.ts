/**
 * WeightPool: the shared child weights of a search space, GPU-resident in one ParameterGroup and addressed by a
 * structured key — for the micro space (layer, node, input index, op, stack, part), as the official code indexes
 * its tensors by the predecessor that feeds an op (`micro_child.py` _enas_conv: `w[prev_cell]`).
 *
 * Every slot is created when the search network is built, at a fixed offset of the pool's buffers. Running a
 * sampled child binds the slots it uses; switching to another architecture binds other slots and writes or copies
 * nothing. Keys double as checkpoint names (`layer_3/node_1/in_2/sep_conv_3x3/stack_0/depthwise`).
 */
import type { ParameterGroup, Tensor } from '@enas-webgpu/autograd';

export class WeightPool {
  private readonly slots = new Map<string, Tensor>();

  constructor(readonly group: ParameterGroup) {}

  /** Creates slot `key` (once, at build time). */
  create(key: string, shape: readonly number[], values: Float32Array): Tensor {
    if (this.slots.has(key)) throw new Error(`weight pool: slot '${key}' exists already`);
    const t = this.group.parameter(values, shape, key);
    this.slots.set(key, t);
    return t;
  }

  /** The tensor of slot `key`. */
  slot(key: string): Tensor {
    const t = this.slots.get(key);
    if (!t) throw new Error(`weight pool: no slot '${key}' (the pool is built for another configuration)`);
    return t;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  entries(): IterableIterator<[string, Tensor]> {
    return this.slots.entries();
  }

  get slotCount(): number {
    return this.slots.size;
  }

  /** Trainable scalars in the pool. */
  get size(): number {
    let n = 0;
    for (const t of this.slots.values()) n += t.size;
    return n;
  }
}
