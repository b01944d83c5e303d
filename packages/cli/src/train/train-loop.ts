/**
 * The `enas train` loop: training steps (FixedTraining does each), with the run directory kept current — every
 * step appended to log.jsonl, the test accuracy and a summary per epoch, and a checkpoint at the end of each
 * epoch, every `checkpointEvery` steps, and when the user interrupts. Resuming continues from the checkpoint's
 * step with the epoch's running sums restored, so the log reads as if the run had never stopped.
 */
import { captureTraining, type FixedEvaluation, type FixedStepRecord, type FixedTraining } from '@enas-webgpu/enas';
import { writeCheckpoint } from '../run/checkpoint-file.js';
import type { RunDir } from '../run/run-dir.js';
import { formatDuration, ProgressBar } from '../ui/progress.js';
import type { ResolvedTrainOptions } from './train-options.js';

/** Running sums of the current epoch (saved in checkpoints so a resumed epoch reports the same averages). */
export interface TrainSums {
  loss: number;
  accuracy: number;
  count: number;
  lr: number;
}

export const emptyTrainSums = (): TrainSums => ({ loss: 0, accuracy: 0, count: 0, lr: 0 });

export interface TrainLoopContext {
  training: FixedTraining;
  run: RunDir;
  options: ResolvedTrainOptions;
  quiet: boolean;
  /** Polled between steps: true stops the loop after a checkpoint. */
  shouldStop: () => boolean;
  print: (line: string) => void;
}

export type TrainOutcome = { kind: 'finished'; test: FixedEvaluation } | { kind: 'interrupted' };

export async function runTrainLoop(c: TrainLoopContext, startSums: TrainSums): Promise<TrainOutcome> {
  const { training: t, run, options } = c;
  const bar = new ProgressBar(c.quiet);
  const steps = t.stepsPerEpoch;
  let sums = { ...startSums };
  const checkpoint = async () => {
    writeCheckpoint(run.trainCheckpointPath, await captureTraining(t, { sums }));
    run.log({ type: 'checkpoint', time: Date.now(), epoch: t.epoch, step: t.steps, path: 'checkpoints/train.safetensors' });
  };
  let epochStart = Date.now();
  bar.start();
  let next: Promise<FixedStepRecord> | undefined;
  while (!t.done || next) {
    const current = next ?? t.trainStep();
    // Pipelined: within an epoch the following step is submitted before this one's numbers are read, so the GPU
    // trains while the host records. Not past an epoch's last step (the evaluation sees that epoch's weights), nor
    // before a checkpoint or a stop (they describe the steps logged so far).
    const endsEpoch = t.steps % steps === 0;
    const checkpointDue = options.checkpointEvery > 0 && t.steps % options.checkpointEvery === 0;
    const stop = c.shouldStop();
    next = !t.done && !endsEpoch && !checkpointDue && !stop ? t.trainStep() : undefined;
    const r = await current;
    sums.loss += r.loss;
    sums.accuracy += r.accuracy;
    sums.count += 1;
    sums.lr = r.lr;
    run.log({
      type: 'child',
      time: Date.now(),
      epoch: r.epoch,
      step: r.step,
      arc: options.arc,
      lr: r.lr,
      loss: r.loss,
      accuracy: r.accuracy,
      ...(r.auxLoss === undefined ? {} : { auxLoss: r.auxLoss }),
      dropPathKeep: r.dropPathKeep,
    });
    bar.update(
      `epoch ${r.epoch + 1}/${options.epochs}`,
      (r.step % steps) + 1,
      steps,
      `loss ${r.loss.toFixed(3)} acc ${r.accuracy.toFixed(3)}`,
    );
    if (!r.epochEnd) {
      if (checkpointDue) await checkpoint();
      if (stop) {
        bar.clear();
        await checkpoint();
        return { kind: 'interrupted' };
      }
      continue;
    }
    bar.clear();
    let test: FixedEvaluation | undefined;
    if (t.done || (options.evalEvery > 0 && (r.epoch + 1) % options.evalEvery === 0)) {
      test = await t.evaluate('test');
      run.log({
        type: 'eval',
        time: Date.now(),
        epoch: r.epoch,
        split: 'test',
        correct: test.correct,
        count: test.count,
        accuracy: test.accuracy,
      });
    }
    const seconds = (Date.now() - epochStart) / 1000;
    const record = {
      type: 'epoch' as const,
      time: Date.now(),
      epoch: r.epoch,
      childLoss: sums.loss / sums.count,
      childAccuracy: sums.accuracy / sums.count,
      reward: null,
      entropy: null,
      baseline: null,
      lr: sums.lr,
      imagesPerSecond: seconds > 0 ? (sums.count * options.batchSize) / seconds : 0,
      seconds,
      testAccuracy: test?.accuracy ?? null,
    };
    run.log(record);
    if (!c.quiet) {
      c.print(
        `epoch ${r.epoch + 1}/${options.epochs}  train loss ${record.childLoss.toFixed(3)} acc ${record.childAccuracy.toFixed(3)}  ` +
          `test acc ${test ? test.accuracy.toFixed(4) : '-'}  lr ${record.lr.toExponential(2)}  ` +
          `${record.imagesPerSecond.toFixed(1)} img/s  ${formatDuration(seconds)}`,
      );
    }
    sums = emptyTrainSums();
    await checkpoint();
    if (test && t.done) return { kind: 'finished', test };
    if (c.shouldStop()) return { kind: 'interrupted' };
    epochStart = Date.now();
    bar.start();
  }
  // A run resumed after its last step: evaluate again.
  return { kind: 'finished', test: await t.evaluate('test') };
}
