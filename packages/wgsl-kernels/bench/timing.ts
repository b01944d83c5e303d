/**
 * How the benchmark measures, identically for our kernels and for tfjs.
 *
 * With `timestamp-query`, an empty compute pass writes a GPU timestamp just before the measured work and another
 * just after it, on the same queue: the difference is GPU time from the first command of the work to the end of
 * the last, including any idle gaps between submits (which is fair: a slow host is part of an engine's cost).
 * Timestamps inside the measured work would need to change it (tfjs records its own passes). Without the feature,
 * the wall clock from the first call to `onSubmittedWorkDone` of the last. Either way: warm-up first (pipelines
 * compile on first use), then enough repetitions to fill a target time, and the queue drained before and after.
 */
import type { GpuContext } from '../src/device/context.js';

export type TimingMethod = 'gpu-timestamps' | 'wall-clock';

/** One measured repetition: records and submits (or leaves pending for `flush`) the work of one rep. */
export type Work = () => void | Promise<void>;

export interface MeasureOptions {
  /** Submits anything the work left recorded but unsubmitted (tfjs batches its ops). */
  readonly flush?: () => void;
  /** Seconds of measured work to aim for, all samples together; repetitions are chosen from a probe. */
  readonly targetSeconds: number;
  readonly minReps?: number;
  readonly maxReps?: number;
}

/** Samples per measurement (odd, for a median). */
const ROUNDS = 3;

export interface Measurement {
  /** Seconds per repetition (median sample). */
  readonly seconds: number;
  /** Repetitions per sample. */
  readonly reps: number;
  readonly rounds: number;
  readonly method: TimingMethod;
}

export class Timer {
  private readonly querySet: GPUQuerySet | undefined;
  private readonly resolve: GPUBuffer | undefined;
  private readonly readback: GPUBuffer | undefined;

  constructor(
    private readonly ctx: GpuContext,
    prefer: 'auto' | 'wall-clock' = 'auto',
  ) {
    if (prefer === 'auto' && ctx.device.features.has('timestamp-query')) {
      this.querySet = ctx.device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 });
      this.resolve = ctx.device.createBuffer({
        label: 'bench timestamps resolve',
        size: 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      this.readback = ctx.device.createBuffer({
        label: 'bench timestamps readback',
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
  }

  get method(): TimingMethod {
    return this.querySet ? 'gpu-timestamps' : 'wall-clock';
  }

  /**
   * Warm-up (compiles pipelines; not counted), one timed probe, then ROUNDS samples of `reps` repetitions each,
   * `reps` chosen from the probe so the samples together fill `targetSeconds`. Reports the median sample: the
   * machines this runs on are often shared, and one disturbed sample must not become the figure.
   */
  async measure(work: Work, options: MeasureOptions): Promise<Measurement> {
    await this.run(work, 1, options.flush);
    const probe = await this.run(work, 1, options.flush);
    const wanted = Math.round(options.targetSeconds / ROUNDS / Math.max(probe, 1e-7));
    const reps = Math.min(options.maxReps ?? 1000, Math.max(options.minReps ?? 1, wanted));
    const samples = reps === 1 ? [probe] : [];
    while (samples.length < ROUNDS) samples.push((await this.run(work, reps, options.flush)) / reps);
    samples.sort((a, b) => a - b);
    return { seconds: samples[(ROUNDS - 1) / 2] as number, reps, rounds: ROUNDS, method: this.method };
  }

  /** Total seconds of `reps` repetitions of `work`. */
  async run(work: Work, reps: number, flush?: () => void): Promise<number> {
    const queue = this.ctx.device.queue;
    await queue.onSubmittedWorkDone();
    this.mark(0);
    const started = performance.now();
    for (let i = 0; i < reps; i++) await work();
    flush?.();
    this.mark(1);
    await queue.onSubmittedWorkDone();
    const wall = (performance.now() - started) / 1000;
    this.ctx.check();
    if (!this.readback) return wall;
    await this.readback.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.readback.getMappedRange(0, 16));
    this.readback.unmap();
    const gpu = Number((end as bigint) - (begin as bigint)) / 1e9;
    // A driver that reports no (or a broken) clock would give 0 or less: fall back to the wall clock then.
    return gpu > 0 ? gpu : wall;
  }

  /** Submits an empty compute pass that writes timestamp `index` (and, for the last, resolves both). */
  private mark(index: 0 | 1): void {
    if (!this.querySet || !this.resolve || !this.readback) return;
    const encoder = this.ctx.device.createCommandEncoder({ label: `bench mark ${index}` });
    const writes: GPUComputePassTimestampWrites =
      index === 0 ? { querySet: this.querySet, beginningOfPassWriteIndex: 0 } : { querySet: this.querySet, endOfPassWriteIndex: 1 };
    encoder.beginComputePass({ label: `bench mark ${index}`, timestampWrites: writes }).end();
    if (index === 1) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    }
    this.ctx.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.readback?.destroy();
  }
}

/**
 * Wall-clock microseconds per iteration of an async loop body (latency, not throughput): `warmup` iterations, then
 * the median of ROUNDS rounds of `iterations / ROUNDS` each.
 */
export async function wallMicroseconds(iterations: number, warmup: number, body: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await body();
  const perRound = Math.max(1, Math.round(iterations / ROUNDS));
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    for (let i = 0; i < perRound; i++) await body();
    samples.push(((performance.now() - started) * 1000) / perRound);
  }
  samples.sort((a, b) => a - b);
  return samples[(ROUNDS - 1) / 2] as number;
}
