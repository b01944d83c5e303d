/** `enas eval RUN_DIR`: the accuracy of a training run's latest checkpoint on a whole split, in inference mode. */
import { Engine } from '@enas-webgpu/autograd';
import { restoreTraining, type TrainCheckpointMeta } from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { loadDataset } from '../data/datasets.js';
import { readCheckpoint } from '../run/checkpoint-file.js';
import { RunDir } from '../run/run-dir.js';
import { UsageError } from '../run-cli.js';
import { buildTraining } from '../train/build-training.js';
import type { RnnTrainOptions } from '../train/rnn-train.js';
import type { ResolvedTrainOptions } from '../train/train-options.js';
import { rnnEvalCommand } from './train-rnn.js';

export async function evalCommand(runDir: string, opts: { split?: string; quiet?: boolean }): Promise<void> {
  const split = opts.split ?? 'test';
  const { run, config } = RunDir.open(runDir, 'eval');
  if (config.command !== 'train') throw new UsageError(`${runDir} is a '${config.command}' run; eval needs a run written by enas train`);
  if (config.space === 'rnn') {
    return rnnEvalCommand(run, config.options as unknown as RnnTrainOptions, config.dataset.directory, split, !!opts.quiet);
  }
  if (split !== 'test' && split !== 'train')
    throw new UsageError(`--split ${split}: choose test or train (a training run has no validation split)`);
  const options = config.options as unknown as ResolvedTrainOptions;
  const { dataset } = await loadDataset({
    data: config.dataset.directory,
    dataset: config.dataset.name,
    trainSize: options.trainSize,
    noValidation: true,
    recordsPerFile: options.cifarRecords,
  });
  const { tensors, meta } = readCheckpoint<TrainCheckpointMeta>(run.trainCheckpointPath);
  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  try {
    const training = buildTraining(engine, options, dataset);
    try {
      restoreTraining(training, tensors, meta);
    } catch (e) {
      throw new UsageError(`${run.trainCheckpointPath}: ${(e as Error).message}`);
    }
    const r = await training.evaluate(split);
    const epoch = Math.max(0, Math.ceil(training.steps / training.stepsPerEpoch) - 1);
    run.log({ type: 'eval', time: Date.now(), epoch, split, correct: r.correct, count: r.count, accuracy: r.accuracy });
    const where = `after ${training.steps} of ${training.totalSteps} steps`;
    console.log(
      `${split} accuracy ${r.accuracy.toFixed(4)} (${r.correct}/${r.count}) ${where}; ${opts.quiet ? '' : `arc: ${options.arc}`}`.trim(),
    );
  } finally {
    engine.destroy();
    ctx.destroy();
  }
}
