/**
 * A micro search running in the page: the engine's CnnSearch, unchanged, driven by an async loop that gives the
 * event loop a turn after every step, so the page keeps drawing and answering clicks while the GPU works.
 *
 * The schedule is the ENAS alternation: `epochSteps` child steps, then `controllerSteps` controller updates.
 * Pausing takes effect between two steps (a step, once submitted, runs to completion on the GPU).
 */
import { Engine } from '@enas-webgpu/autograd';
import {
  type ChildStepRecord,
  CnnSearch,
  type ControllerStepRecord,
  createMicroSpace,
  type ImageDataset,
  type MicroArchitecture,
  MicroController,
  parseMicroArchitecture,
} from '@enas-webgpu/enas';
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { type LiveConfig, liveSearchOptions, liveSpaceOptions } from './live-config.js';

export type LiveState = 'paused' | 'running' | 'failed';

/** What the views draw after a child step: the architecture it trained and the controller's distributions for it. */
export interface LiveSnapshot {
  record: ChildStepRecord;
  arch: MicroArchitecture;
  /** Softmax of each decision's logits in the pass that sampled `arch` (decision-log order). */
  probabilities: Float64Array[];
}

export interface LiveListener {
  child(record: ChildStepRecord, imagesPerSecond: number): void;
  controller(record: ControllerStepRecord): void;
  /** At most every `snapshotEveryMs` (reading the distributions back costs a submit and a wait). */
  snapshot(s: LiveSnapshot): void;
  state(state: LiveState, error?: Error): void;
}

/** Child steps in the images-per-second window. */
const RATE_WINDOW = 10;

/** A macrotask: lets input events, timers and rendering run before the next step is recorded. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class LiveSearch {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private pendingControllerSteps = 0;
  private lastSnapshot = -Infinity;
  /** Seconds of the latest child steps (controller phases excluded), for images per second. */
  private readonly stepSeconds: number[] = [];

  private constructor(
    readonly engine: Engine,
    readonly search: CnnSearch<MicroArchitecture>,
    /** The search's controller, as its micro type: its decision log keeps the logits the heat map shows. */
    private readonly controller: MicroController,
    readonly config: LiveConfig,
    private readonly listener: LiveListener,
    readonly snapshotEveryMs: number,
  ) {}

  static create(ctx: GpuContext, data: ImageDataset, config: LiveConfig, listener: LiveListener, snapshotEveryMs = 300): LiveSearch {
    const engine = new Engine(ctx, { seed: config.seed });
    const image = { channels: data.train.channels, size: data.train.height, classes: data.classes.length };
    if (data.train.height !== data.train.width)
      throw new Error(`live search: images must be square, got ${data.train.height}×${data.train.width}`);
    const space = createMicroSpace(engine, liveSpaceOptions(config, image));
    if (!(space.controller instanceof MicroController)) throw new Error('live search: the micro space has no MicroController');
    space.controller.keepDecisionLogits();
    const search = new CnnSearch(engine, space, data, liveSearchOptions(config));
    return new LiveSearch(engine, search, space.controller, config, listener, snapshotEveryMs);
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listener.state('running');
    this.loopDone = this.loop();
  }

  /** Resolves once the step in flight has finished. */
  async pause(): Promise<void> {
    this.running = false;
    await this.loopDone;
  }

  async destroy(): Promise<void> {
    await this.pause();
    this.engine.destroy();
  }

  private async loop(): Promise<void> {
    try {
      while (this.running) {
        if (this.pendingControllerSteps > 0) {
          this.pendingControllerSteps -= 1;
          this.listener.controller(await this.search.controllerStep());
        } else {
          await this.childStep();
          const { childSteps, stepsPerEpoch } = this.search;
          if (childSteps % stepsPerEpoch === 0) this.pendingControllerSteps = this.search.options.controllerSteps;
          if (this.config.maxSteps > 0 && childSteps >= this.config.maxSteps && this.pendingControllerSteps === 0) {
            this.running = false;
          }
        }
        await nextTask();
      }
      this.listener.state('paused');
    } catch (error) {
      this.running = false;
      this.engine.abortStep();
      this.listener.state('failed', error as Error);
    }
  }

  private async childStep(): Promise<void> {
    const started = performance.now();
    const record = await this.search.childStep();
    // Over a window of recent steps: the first steps compile pipelines and would weigh on an average for long.
    this.stepSeconds.push((performance.now() - started) / 1000);
    if (this.stepSeconds.length > RATE_WINDOW) this.stepSeconds.shift();
    const seconds = this.stepSeconds.reduce((a, b) => a + b, 0);
    this.listener.child(record, (this.stepSeconds.length * this.search.options.batchSize) / Math.max(seconds, 1e-6));
    const now = performance.now();
    if (now - this.lastSnapshot >= this.snapshotEveryMs) {
      this.lastSnapshot = now;
      // The log still holds this child's sampling pass: nothing has sampled since.
      const probabilities = await this.controller.log.readProbabilities();
      this.listener.snapshot({ record, arch: parseMicroArchitecture(record.arc), probabilities });
    }
  }
}
