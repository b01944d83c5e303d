/**
 * Engine: the device, its memory and the current step.
 *
 * A training step is one command encoder and one submit (tfjs-webgpu batches, ORT captures graphs; here a step is
 * the unit):
 *
 *   const step = engine.beginStep('train');
 *   const loss = crossEntropy(model.forward(x), labels);
 *   backward(loss);
 *   optimizer.step();
 *   const lossValue = step.read(loss);    // resolves after the GPU has run the step; never waited on inside it
 *   step.submit();
 *
 * Temporaries come from arena regions that are reset when the next step begins (after this one was submitted), so
 * nothing is freed by hand and a run's memory stops growing once every computation has been seen.
 */
import {
  type BufferSlice,
  createRngState,
  type GpuContext,
  ReadbackRing,
  Recorder,
  rngAdvance,
  rngStateWords,
} from '@enas-webgpu/wgsl-kernels';
import { ParameterGroup } from './memory/parameter-group.js';
import { PersistentStore } from './memory/persistent-store.js';
import { Region } from './memory/region.js';
import { type Shape, sizeOf, Tensor } from './tensor.js';

export class Engine {
  /** Persistent tensors that are not trained: running statistics, constants, optimizer state. */
  readonly store: PersistentStore;
  private readonly groups = new Map<string, ParameterGroup>();
  private readonly regions = new Map<string, Region>();
  private readonly regionStack: Region[] = [];
  private current: Step | undefined;
  private steps = 0;
  private noGradDepth = 0;
  readonly readback: ReadbackRing;
  /**
   * The GPU random state (Philox key and step counter; wgsl-kernels ops/random). Every step advances it on the GPU
   * once, and each random op of a step draws from its own stream, numbered in recording order, so a run is
   * reproducible from its seed and the number of steps taken.
   */
  readonly rng: BufferSlice;
  private rngSeed: number;
  private rngSteps = 0;
  private streams = 0;

  constructor(
    readonly ctx: GpuContext,
    options: { seed?: number } = {},
  ) {
    this.rngSeed = options.seed ?? 1;
    this.rng = createRngState(ctx, this.rngSeed, 0, 'engine-rng');
    this.store = new PersistentStore(ctx, 'persistent');
    this.readback = new ReadbackRing(ctx);
    this.regionStack.push(this.region('step'));
  }

  /** The id of the open step (or of the last one, between steps). */
  get stepId(): number {
    return this.steps;
  }

  get rec(): Recorder {
    if (!this.current) throw new Error('no step is open: record GPU work between engine.beginStep() and step.submit()');
    return this.current.rec;
  }

  get gradEnabled(): boolean {
    return this.noGradDepth === 0;
  }

  beginStep(label = 'step'): Step {
    if (this.current) throw new Error(`step '${this.current.label}' is still open; submit it before beginning '${label}'`);
    this.steps += 1;
    for (const r of this.regions.values()) r.reset();
    this.current = new Step(this, this.steps, label);
    rngAdvance(this.current.rec, this.rng);
    this.rngSteps += 1;
    this.streams = 0;
    return this.current;
  }

  /** A stream id for one random op of this step (regenerated identically by its backward). */
  nextStream(): number {
    return this.streams++;
  }

  /** The CPU-side copy of the random state: enough to restore it exactly (checkpoints). */
  get randomState(): { seed: number; steps: number } {
    return { seed: this.rngSeed, steps: this.rngSteps };
  }

  /** Restores the random state saved by `randomState` (one 16-byte write). */
  restoreRandomState(state: { seed: number; steps: number }): void {
    this.rngSeed = state.seed;
    this.rngSteps = state.steps;
    this.ctx.writeBuffer(this.rng.buffer, this.rng.offset, rngStateWords(state.seed, state.steps));
  }

  /** Discards the open step, if any, without submitting its work (after an error, for instance). */
  abortStep(): void {
    this.current = undefined;
  }

  /**
   * Host milliseconds spent recording steps (beginStep to submit, encoding and submit included), by step label.
   * On a GPU a step whose recording takes longer than its kernels leaves the GPU idle; benchmarks report this.
   */
  readonly recordingTime = new Map<string, { steps: number; ms: number }>();

  /** @internal called by Step.submit */
  endStep(step: Step, recordingMs: number): void {
    if (this.current === step) this.current = undefined;
    const t = this.recordingTime.get(step.label);
    if (t) {
      t.steps += 1;
      t.ms += recordingMs;
    } else {
      this.recordingTime.set(step.label, { steps: 1, ms: recordingMs });
    }
  }

  /** Runs `fn` without recording a tape: no tensor made inside requires a gradient. */
  noGrad<T>(fn: () => T): T {
    this.noGradDepth += 1;
    try {
      return fn();
    } finally {
      this.noGradDepth -= 1;
    }
  }

  /** A named arena region, created on first use. */
  region(name: string): Region {
    let r = this.regions.get(name);
    if (!r) {
      r = new Region(this.ctx, `arena:${name}`);
      this.regions.set(name, r);
    }
    return r;
  }

  /**
   * Runs `fn` with its temporaries (and later their gradients) in region `name`. A computation that runs under the
   * same name every time it runs gets the same offsets every time, whatever else the step does: the ENAS weight
   * pool runs each sampled op under its position's name, so switching architectures rebinds nothing new.
   */
  scope<T>(name: string, fn: () => T): T {
    this.regionStack.push(this.region(name));
    try {
      return fn();
    } finally {
      this.regionStack.pop();
    }
  }

  get currentRegion(): Region {
    return this.regionStack[this.regionStack.length - 1] as Region;
  }

  /** @internal temporary storage for this step. */
  allocTemporary(bytes: number, what: string, region: Region = this.currentRegion): BufferSlice {
    if (!this.current) throw new Error(`cannot allocate ${what} outside a step`);
    return region.alloc(bytes, what);
  }

  /** An uninitialised temporary of `shape` (ops write every element). */
  empty(shape: Shape, name: string): Tensor {
    const region = this.currentRegion;
    const data = this.allocTemporary(sizeOf(shape) * 4, name, region);
    return new Tensor({ engine: this, shape, data, name, requiresGrad: false, step: this.steps, region });
  }

  /** A temporary holding `values` (uploaded with writeBuffer: this is how a data batch enters a step). */
  input(values: Float32Array | Uint32Array | Int32Array, shape: Shape, name = 'input'): Tensor {
    if (values.length !== sizeOf(shape)) {
      throw new Error(`input '${name}' has ${values.length} values but shape [${shape.join(', ')}] needs ${sizeOf(shape)}`);
    }
    const t = this.empty(shape, name);
    this.ctx.writeBuffer(t.data.buffer, t.data.offset, values);
    return t;
  }

  /** A persistent tensor that is not trained (running statistics, constants), initialised from `values`. */
  persistent(values: Float32Array | Uint32Array, shape: Shape, name: string): Tensor {
    const n = sizeOf(shape);
    if (values.length !== n) throw new Error(`'${name}' has ${values.length} values but shape [${shape.join(', ')}] needs ${n}`);
    const data = this.store.alloc(n * 4, name);
    this.ctx.writeBuffer(data.buffer, data.offset, values);
    return new Tensor({ engine: this, shape, data, name, requiresGrad: false, step: -1 });
  }

  /** The parameter group `name` (one per optimizer), created on first use. */
  group(name = 'default'): ParameterGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = new ParameterGroup(this, name);
      this.groups.set(name, g);
    }
    return g;
  }

  /** A trainable tensor in group `group` (default 'default'). */
  parameter(values: Float32Array, shape: Shape, name: string, group = 'default'): Tensor {
    return this.group(group).parameter(values, shape, name);
  }

  /** Total bytes of GPU memory in use by this engine's device (all buffers, including caches). */
  get gpuBytes(): number {
    return this.ctx.stats.bytesAllocated;
  }

  destroy(): void {
    for (const r of this.regions.values()) r.destroy();
    this.store.destroy();
    for (const g of this.groups.values()) g.destroy();
    this.readback.destroy();
    this.ctx.destroyBuffer(this.rng.buffer);
  }
}

/** One step: the recorder that all its work goes into, and reads scheduled for after its submit. */
export class Step {
  readonly rec: Recorder;
  private submitted = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly engine: Engine,
    readonly id: number,
    readonly label: string,
  ) {
    this.rec = new Recorder(engine.ctx, label);
  }

  /**
   * Schedules a copy of a small tensor (up to 64 floats: a loss, an accuracy count, a sampled architecture) and
   * returns a promise of its values, resolved after the step ran. Await it after submit, ideally a step later.
   */
  read(t: Tensor): Promise<Float32Array> {
    return this.engine.readback.enqueue(this.rec, { ...t.data, size: t.size * 4 }).then((b) => new Float32Array(b));
  }

  readU32(t: Tensor): Promise<Uint32Array> {
    return this.engine.readback.enqueue(this.rec, { ...t.data, size: t.size * 4 }).then((b) => new Uint32Array(b));
  }

  submit(): void {
    if (this.submitted) throw new Error(`step '${this.label}' was already submitted`);
    this.submitted = true;
    this.rec.submit();
    this.engine.readback.flush();
    this.engine.endStep(this, performance.now() - this.startedAt);
  }
}
