/**
 * Tensor: a shape over a GPU buffer slice (f32, row-major, NCHW for images), plus what autograd needs: whether it
 * requires a gradient, the tape node that produced it, and where its gradient lives.
 *
 * Two lifetimes:
 *   persistent  parameters, optimizer state, running statistics: made outside steps, live until destroyed;
 *   temporary   everything an op makes inside a step, in the step's arena; valid until the next step begins.
 * A reshape is a view: it shares storage, and its gradient is the base tensor's gradient.
 */
import type { BufferSlice } from '@enas-webgpu/wgsl-kernels';
import type { Engine } from './engine.js';
import type { Region } from './memory/region.js';
import type { TapeNode } from './tape.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`shape [${shape.join(', ')}] must hold non-negative integers`);
    n *= d;
  }
  return n;
}

export interface TensorInit {
  readonly engine: Engine;
  readonly shape: Shape;
  readonly data: BufferSlice;
  readonly name: string;
  readonly requiresGrad: boolean;
  /** The step that owns a temporary; -1 for persistent tensors. */
  readonly step: number;
  /** Where a temporary's gradient is allocated (the arena region of the op that made it). */
  readonly region?: Region;
  /** For views: the tensor whose storage and gradient this one shares. */
  readonly base?: Tensor;
  /** Persistent tensors that require a gradient get a fixed gradient slice up front. */
  readonly grad?: BufferSlice;
  /** The parameter group of a trainable tensor: while its gradients are live, every contribution adds. */
  readonly group?: { readonly gradsLive: boolean };
}

export class Tensor {
  readonly engine: Engine;
  readonly shape: Shape;
  readonly size: number;
  readonly name: string;
  readonly step: number;
  readonly region: Region | undefined;
  requiresGrad: boolean;
  /** The op that produced this tensor (undefined for leaves and tensors made without grad). */
  node: TapeNode | undefined;
  private readonly _data: BufferSlice;
  private readonly base: Tensor | undefined;
  /** Gradient storage (owner tensors only; views delegate to their base). */
  gradData: BufferSlice | undefined;
  /** The step in which the gradient was last written; its first write in a step overwrites, later ones add. */
  gradStep = -1;
  readonly group: { readonly gradsLive: boolean } | undefined;

  constructor(init: TensorInit) {
    this.engine = init.engine;
    this.shape = [...init.shape];
    this.size = sizeOf(init.shape);
    this.name = init.name;
    this.step = init.step;
    this.region = init.region;
    this.requiresGrad = init.requiresGrad;
    this._data = init.data;
    this.base = init.base;
    this.gradData = init.grad;
    this.group = init.group;
    if (init.data.size < this.size * 4) {
      throw new Error(
        `tensor '${init.name}' of shape [${init.shape.join(', ')}] needs ${this.size * 4} bytes, its slice has ${init.data.size}`,
      );
    }
  }

  get persistent(): boolean {
    return this.step < 0;
  }

  /** The GPU storage; throws if this temporary belongs to a step that has been replaced. */
  get data(): BufferSlice {
    if (this.step >= 0 && this.step !== this.engine.stepId) {
      throw new Error(
        `tensor '${this.name}' was made in step ${this.step} and its memory now belongs to step ${this.engine.stepId}; ` +
          'keep values across steps in persistent tensors (engine.persistent / engine.parameter)',
      );
    }
    return this._data;
  }

  /** The tensor that owns storage and gradient (itself unless this is a view). */
  get owner(): Tensor {
    return this.base ? this.base.owner : this;
  }

  /** The gradient written in the current step, as a tensor view, or undefined. */
  get grad(): Tensor | undefined {
    const o = this.owner;
    if (!o.gradData || (o.gradStep !== this.engine.stepId && !o.group?.gradsLive)) return undefined;
    return new Tensor({
      engine: this.engine,
      shape: this.shape,
      data: o.gradData,
      name: `grad(${this.name})`,
      requiresGrad: false,
      step: o.persistent ? -1 : o.step,
    });
  }

  /** The same storage with another shape of equal size; gradients flow to this tensor. */
  reshape(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) {
      throw new Error(`cannot reshape '${this.name}' from [${this.shape.join(', ')}] to [${shape.join(', ')}]: sizes differ`);
    }
    const view = new Tensor({
      engine: this.engine,
      shape,
      data: this._data,
      name: this.name,
      requiresGrad: this.requiresGrad,
      step: this.step,
      region: this.region,
      base: this,
    });
    view.node = this.node;
    return view;
  }

  /** The same storage, cut from the tape: no gradient flows through it. */
  detach(): Tensor {
    return new Tensor({ engine: this.engine, shape: this.shape, data: this._data, name: this.name, requiresGrad: false, step: this.step });
  }

  toString(): string {
    return `Tensor(${this.name}, [${this.shape.join(', ')}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
