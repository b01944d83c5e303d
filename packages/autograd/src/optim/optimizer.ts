/**
 * Optimizer: what SGD and Adam share. Each trains one ParameterGroup with whole-chunk dispatches: the update of a
 * chunk reads parameters, gradients and state at the same offsets (mirrored stores), so a step costs a few
 * dispatches however many tensors the group holds.
 *
 * Per-step values (learning rate, Adam's t, the clipping scale) live in a small `hyper` storage buffer, never in
 * uniforms (see wgsl-kernels ops/optim/hyper.ts). The CPU writes the learning rate only when it changes (SGDR is
 * constant within an epoch), so a run of steps at one rate writes nothing.
 */
import {
  type BufferSlice,
  clipScale,
  globalNorm,
  globalNormPartialCount,
  HYPER,
  HYPER_FLOATS,
  type HyperSlots,
  type Recorder,
  writeHyper,
} from '@enas-webgpu/wgsl-kernels';
import type { ParameterGroup } from '../memory/parameter-group.js';
import { PersistentStore } from '../memory/persistent-store.js';

export interface OptimizerOptions {
  /** Initial learning rate (change it with setLearningRate). */
  lr: number;
  /** Global-norm gradient clipping threshold (tf.clip_by_global_norm); omitted: no clipping. */
  clipNorm?: number;
  /** L2 weight decay added to the gradient as weightDecay·w. The official ENAS code adds l2·Σw² to the loss: pass 2·l2. */
  weightDecay?: number;
}

export abstract class Optimizer {
  readonly hyper: BufferSlice;
  private readonly hyperOwner: PersistentStore;
  private lastLr = Number.NaN;
  private partials: BufferSlice | undefined;
  protected readonly state: PersistentStore[] = [];
  /** Per state store, the slice of each group tensor (same order as group.tensors), for checkpoints. */
  private readonly stateSlices: { name: string; slices: BufferSlice[] }[] = [];

  constructor(
    readonly group: ParameterGroup,
    protected readonly options: OptimizerOptions,
  ) {
    this.hyperOwner = new PersistentStore(group.ctx, `hyper:${group.name}`, 256);
    this.hyper = this.hyperOwner.alloc(HYPER_FLOATS * 4, `hyper:${group.name}`);
    this.setLearningRate(options.lr);
  }

  /** A state store laid out like the group's parameters (momentum, Adam's m and v), zero-initialised. */
  protected mirrorStore(name: string): PersistentStore {
    const store = new PersistentStore(this.group.ctx, `${name}:${this.group.name}`);
    const slices = this.group.tensors.map((t) => store.alloc(t.size * 4, `${name}(${t.name})`));
    this.state.push(store);
    this.stateSlices.push({ name, slices });
    return store;
  }

  /**
   * The optimizer's state as named slices (`momentum/<tensor>`, `adam-m/<tensor>`, ...), for checkpoints, and its
   * scalar state. Restoring writes the same slices back.
   */
  namedState(): [string, BufferSlice][] {
    const out: [string, BufferSlice][] = [];
    for (const { name, slices } of this.stateSlices) {
      this.group.tensors.forEach((t, i) => {
        const s = slices[i] as BufferSlice;
        out.push([`${name}/${t.name}`, { ...s, size: t.size * 4 }]);
      });
    }
    return out;
  }

  /** Scalars to save with the state (the learning rate; Adam adds its step count). */
  scalarState(): Record<string, number> {
    return { lr: this.lastLr };
  }

  restoreScalarState(s: Record<string, number>): void {
    if (typeof s.lr === 'number') this.setLearningRate(s.lr);
  }

  get learningRate(): number {
    return this.lastLr;
  }

  /** Sets the rate used by the next update; writes 4 bytes to the GPU only when the value changes. */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a finite number >= 0, got ${lr}`);
    if (lr === this.lastLr) return;
    writeHyper(this.group.ctx, this.hyper, HYPER.lr, [lr]);
    this.lastLr = lr;
  }

  /** Zeroes the group's gradients; call at the start of each step, before backward. */
  zeroGrad(rec?: Recorder): void {
    this.group.zeroGrads(rec);
  }

  /** Records the update of every parameter of the group (after backward, in the same step). */
  step(rec: Recorder = this.group.tensors[0]?.engine.rec as Recorder): void {
    const engine = this.group.tensors[0]?.engine;
    if (!engine) return;
    if (!this.group.gradsLive) {
      throw new Error(`optimizer of group '${this.group.name}': call zeroGrad() before backward (once per update), then step()`);
    }
    const pairs = this.group.chunkPairs();
    let slots: HyperSlots = { lr: HYPER.lr, step: HYPER.step };
    if (this.options.clipNorm !== undefined) {
      this.partials ??= this.hyperOwner.alloc(globalNormPartialCount(pairs.map((p) => p.floats)) * 4, 'norm-partials');
      globalNorm(rec, { tensors: pairs.map((p) => p.grad), partials: this.partials, out: this.hyper }, { outIndex: HYPER.gradNorm });
      clipScale(rec, this.hyper, { maxNorm: this.options.clipNorm, normIndex: HYPER.gradNorm, scaleIndex: HYPER.gradScale });
      slots = { ...slots, gradScale: HYPER.gradScale };
    }
    pairs.forEach((pair, i) => {
      this.updateChunk(rec, pair, i, slots);
    });
    this.group.gradsLive = false;
  }

  protected abstract updateChunk(
    rec: Recorder,
    pair: { param: BufferSlice; grad: BufferSlice; floats: number },
    chunk: number,
    slots: HyperSlots,
  ): void;

  /** The state slice of `store` that matches chunk `i`. */
  protected stateChunk(store: PersistentStore, i: number, floats: number): BufferSlice {
    const c = store.chunks[i];
    if (!c || c.used < floats * 4)
      throw new Error(
        `optimizer state '${store.name}' is out of step with group '${this.group.name}' (parameters added after the optimizer?)`,
      );
    return { buffer: c.buffer, offset: 0, size: floats * 4 };
  }

  destroy(): void {
    this.hyperOwner.destroy();
    for (const s of this.state) s.destroy();
  }
}
