/**
 * The `enas search` loop: epochs of child steps then controller updates (CnnSearch does each step), with the run
 * directory kept current — every step and update appended to log.jsonl, a summary per epoch, the best architecture
 * so far in best_arc.txt/.svg, and a checkpoint at the end of each epoch, every `checkpointEvery` child steps,
 * and when the user interrupts. Resuming continues from the checkpoint's place in the schedule, with the epoch's
 * running averages restored, so the log reads as if the run had never stopped.
 */
import {
  type CnnSearch,
  captureSearch,
  type DerivedArchitecture,
  drawArchitectureSvg,
  type PendingChildStep,
  parseArchitecture,
  type SearchProgress,
} from '@enas-webgpu/enas';
import { writeCheckpoint } from '../run/checkpoint-file.js';
import type { RunDir } from '../run/run-dir.js';
import { formatDuration, ProgressBar } from '../ui/progress.js';
import type { ResolvedSearchOptions } from './presets.js';

/** Running sums of the current epoch (saved in checkpoints so a resumed epoch reports the same averages). */
export interface EpochSums {
  childLoss: number;
  childAccuracy: number;
  childCount: number;
  reward: number;
  entropy: number;
  baseline: number | null;
  controllerCount: number;
  lr: number;
  bestAccuracy: number;
  bestArc: string | null;
}

export const emptySums = (bestAccuracy = -1, bestArc: string | null = null): EpochSums => ({
  childLoss: 0,
  childAccuracy: 0,
  childCount: 0,
  reward: 0,
  entropy: 0,
  baseline: null,
  controllerCount: 0,
  lr: 0,
  bestAccuracy,
  bestArc,
});

export interface LoopContext<A> {
  search: CnnSearch<A>;
  run: RunDir;
  options: ResolvedSearchOptions;
  quiet: boolean;
  /** Polled between steps: true stops the loop after a checkpoint. */
  shouldStop: () => boolean;
  print: (line: string) => void;
}

export async function runSearchLoop<Arch>(
  c: LoopContext<Arch>,
  start: SearchProgress,
  startSums: EpochSums,
): Promise<{ kind: 'finished'; best: DerivedArchitecture<Arch> } | { kind: 'interrupted' }> {
  const { search, run, options } = c;
  const bar = new ProgressBar(c.quiet);
  const progress = { ...start };
  let sums = { ...startSums };
  const steps = search.stepsPerEpoch;
  const checkpoint = async () => {
    writeCheckpoint(run.checkpointPath, await captureSearch(search, progress, { sums }));
    run.log({
      type: 'checkpoint',
      time: Date.now(),
      epoch: progress.epoch,
      step: search.childSteps,
      path: 'checkpoints/search.safetensors',
    });
  };

  while (progress.epoch < options.epochs) {
    const epochStart = Date.now();
    bar.start();
    if (progress.phase === 'child') {
      // Pipelined: step n is submitted before step n − 1's loss is read, so the GPU trains n − 1 while n is
      // recorded. Records are therefore handled one step late; a checkpoint waits for the step in flight.
      const finish = async (pending: PendingChildStep) => {
        const r = await pending.record;
        progress.childStep += 1;
        sums.childLoss += r.loss;
        sums.childAccuracy += r.accuracy;
        sums.childCount += 1;
        sums.lr = r.lr;
        run.log({
          type: 'child',
          time: Date.now(),
          epoch: r.epoch,
          step: r.step,
          arc: r.arc,
          lr: r.lr,
          loss: r.loss,
          accuracy: r.accuracy,
        });
        bar.update(
          `epoch ${progress.epoch + 1}/${options.epochs} child`,
          progress.childStep,
          steps,
          `loss ${r.loss.toFixed(3)} acc ${r.accuracy.toFixed(3)}`,
        );
      };
      let inFlight: PendingChildStep | undefined;
      while (progress.childStep + (inFlight ? 1 : 0) < steps) {
        const next = await search.startChildStep();
        if (inFlight) await finish(inFlight);
        inFlight = next;
        const checkpointDue = options.checkpointEvery > 0 && search.childSteps % options.checkpointEvery === 0;
        const stop = c.shouldStop();
        if (checkpointDue || stop) {
          await finish(inFlight);
          inFlight = undefined;
          if (stop) bar.clear();
          await checkpoint();
          if (stop) return { kind: 'interrupted' };
        }
      }
      if (inFlight) await finish(inFlight);
      progress.phase = 'controller';
      progress.controllerStep = 0;
    }
    while (progress.controllerStep < options.controllerSteps) {
      const r = await search.controllerStep();
      progress.controllerStep += 1;
      sums.reward += r.reward;
      sums.entropy += r.entropy;
      sums.baseline = r.baseline;
      sums.controllerCount += 1;
      run.log({
        type: 'controller',
        time: Date.now(),
        // The loop's epoch: the search counts child steps, so it already reads the next epoch here.
        epoch: progress.epoch,
        step: r.step,
        reward: r.reward,
        accuracy: r.accuracy,
        entropy: r.entropy,
        baseline: r.baseline,
        arcs: r.arcs,
      });
      bar.update(
        `epoch ${progress.epoch + 1}/${options.epochs} controller`,
        progress.controllerStep,
        options.controllerSteps,
        `reward ${r.reward.toFixed(3)}`,
      );
      if (c.shouldStop()) {
        bar.clear();
        await checkpoint();
        return { kind: 'interrupted' };
      }
    }
    bar.clear();
    if (options.deriveEvery > 0) {
      const d = await search.derive(options.deriveEvery);
      run.log({ type: 'derive', time: Date.now(), epoch: progress.epoch, samples: [], best: { arc: d.arc, accuracy: d.accuracy } });
      if (d.accuracy > sums.bestAccuracy) {
        sums.bestAccuracy = d.accuracy;
        sums.bestArc = d.arc;
        writeBest(c, d.arc);
      }
    }
    const seconds = (Date.now() - epochStart) / 1000;
    const images = sums.childCount * options.batchSize;
    const mean = (x: number, n: number) => (n > 0 ? x / n : null);
    const record = {
      type: 'epoch' as const,
      time: Date.now(),
      epoch: progress.epoch,
      childLoss: mean(sums.childLoss, sums.childCount) ?? Number.NaN,
      childAccuracy: mean(sums.childAccuracy, sums.childCount) ?? Number.NaN,
      reward: mean(sums.reward, sums.controllerCount),
      entropy: mean(sums.entropy, sums.controllerCount),
      baseline: sums.baseline,
      lr: sums.lr,
      imagesPerSecond: seconds > 0 ? images / seconds : 0,
      seconds,
      validAccuracy: sums.bestAccuracy >= 0 ? sums.bestAccuracy : null,
    };
    run.log(record);
    if (!c.quiet) {
      const f = (v: number | null, d = 3) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));
      c.print(
        `epoch ${progress.epoch + 1}/${options.epochs}  child loss ${f(record.childLoss)} acc ${f(record.childAccuracy)}  ` +
          `reward ${f(record.reward)}  entropy ${f(record.entropy, 2)}  baseline ${f(record.baseline)}  lr ${record.lr.toExponential(2)}  ` +
          `${record.imagesPerSecond.toFixed(1)} img/s  ${formatDuration(seconds)}`,
      );
    }
    progress.epoch += 1;
    progress.phase = 'child';
    progress.childStep = 0;
    progress.controllerStep = 0;
    sums = emptySums(sums.bestAccuracy, sums.bestArc);
    await checkpoint();
    if (c.shouldStop() && progress.epoch < options.epochs) return { kind: 'interrupted' };
  }

  const best = await search.derive(options.deriveSamples);
  run.log({ type: 'derive', time: Date.now(), epoch: progress.epoch, samples: [], best: { arc: best.arc, accuracy: best.accuracy } });
  writeBest(c, best.arc);
  return { kind: 'finished', best };
}

function writeBest<Arch>(c: LoopContext<Arch>, arc: string): void {
  c.run.writeText('best_arc.txt', `${arc}\n`);
  const arch = parseArchitecture(c.options.space, arc);
  c.run.writeText('best_arc.svg', drawArchitectureSvg(arch));
}
