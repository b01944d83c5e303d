/**
 * `enas train`: train one architecture from scratch with the final-training features of the paper (aux head,
 * drop-path, cutout, dropout, SGDR), on all the training images, evaluating on the test set after each epoch.
 * `--space rnn` trains a recurrent cell on text instead (train-rnn.ts). Like `enas search`: a run directory (config.json, log.jsonl, checkpoints/, arc.txt/.svg), progress, Ctrl-C
 * writes a checkpoint, `--resume RUN_DIR` continues exactly.
 */
import { readFileSync } from 'node:fs';
import { Engine } from '@enas-webgpu/autograd';
import {
  drawArchitectureSvg,
  fixedNetworkCost,
  printArchitecture,
  type RunConfig,
  restoreTraining,
  type TrainCheckpointMeta,
} from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { loadDataset } from '../data/datasets.js';
import { readCheckpoint } from '../run/checkpoint-file.js';
import { kebab } from '../run/overrides.js';
import { RunDir } from '../run/run-dir.js';
import { reportInterrupted, StopRequest } from '../run/stop-request.js';
import { UsageError } from '../run-cli.js';
import { buildTraining } from '../train/build-training.js';
import { emptyTrainSums, runTrainLoop, type TrainSums } from '../train/train-loop.js';
import { parseTrainArc, type ResolvedTrainOptions, resolveTrainOptions, TRAIN_OVERRIDES } from '../train/train-options.js';
import { rnnTrainCommand } from './train-rnn.js';

export interface TrainCommandOptions extends Record<string, unknown> {
  arc?: string;
  arcFile?: string;
  space?: string;
  preset?: string;
  data?: string;
  dataset?: string;
  out?: string;
  resume?: string;
  quiet?: boolean;
  /** Hidden: behave as if interrupted after this many steps (tests of resume). */
  stopAfterSteps?: string;
}

const millions = (n: number) => `${(n / 1e6).toFixed(2)}M`;

export async function trainCommand(opts: TrainCommandOptions): Promise<void> {
  if (opts.resume && opts.out) throw new UsageError('give either --out (a new run) or --resume (continue one), not both');
  if (!opts.resume && !opts.out) throw new UsageError('--out RUN_DIR is required (where config.json, log.jsonl and checkpoints go)');
  if (!opts.resume && opts.arc !== undefined && opts.arcFile !== undefined)
    throw new UsageError('give the architecture with --arc or --arc-file, not both');
  if (!opts.resume && opts.arc === undefined && opts.arcFile === undefined) {
    throw new UsageError('give the architecture to train: --arc "<arc string>" or --arc-file FILE (e.g. a search run’s best_arc.txt)');
  }
  if (opts.resume && (opts.arc !== undefined || opts.arcFile !== undefined))
    throw new UsageError('--resume continues the run’s own architecture; drop --arc/--arc-file');
  // The recurrent cell trains on text: its own command (train-rnn.ts).
  if (opts.resume ? RunDir.open(opts.resume).config.space === 'rnn' : opts.space === 'rnn') return rnnTrainCommand(opts);

  // Everything is checked (architecture, options, data) before anything is written.
  let options: ResolvedTrainOptions;
  let config: RunConfig | undefined;
  let run: RunDir | undefined;
  if (opts.resume) {
    // The schedule (epochs, drop-path progress, SGDR) is the run's: a changed value would not continue it exactly.
    const changed = [...Object.keys(TRAIN_OVERRIDES), 'preset', 'data', 'dataset', 'flip'].filter((k) => opts[k] !== undefined);
    if (changed.length > 0) {
      throw new UsageError(
        `--resume continues the run with its own options (config.json); drop ${changed.map((k) => `--${kebab(k)}`).join(', ')}`,
      );
    }
    const opened = RunDir.open(opts.resume);
    run = opened.run;
    config = opened.config;
    if (config.command !== 'train') throw new UsageError(`${opts.resume} is a '${config.command}' run, not a training`);
    options = { ...(config.options as unknown as ResolvedTrainOptions) };
  } else {
    if (opts.space !== undefined && opts.space !== 'micro' && opts.space !== 'macro')
      throw new UsageError(`--space ${opts.space}: choose micro, macro or rnn`);
    const space = (opts.space ?? 'micro') as 'micro' | 'macro';
    let text = opts.arc as string;
    if (opts.arcFile !== undefined) {
      try {
        text = readFileSync(opts.arcFile, 'utf8');
      } catch (e) {
        throw new UsageError(`--arc-file ${opts.arcFile}: ${(e as Error).message}`);
      }
    }
    const arch = parseTrainArc(space, text, opts.arcFile !== undefined ? `--arc-file ${opts.arcFile}` : '--arc');
    options = resolveTrainOptions(opts.preset ?? 'tiny', arch, printArchitecture(arch), opts);
  }
  const { dataset, directory } = await loadDataset({
    data: opts.resume ? config?.dataset.directory : opts.data,
    dataset: opts.resume ? config?.dataset.name : opts.dataset,
    trainSize: options.trainSize,
    noValidation: true,
    recordsPerFile: options.cifarRecords,
  });

  // Mirror images are other digits: flips are for natural images only, unless asked for (as enas search).
  if (!opts.resume && opts.flip === undefined && dataset.name === 'mnist') options.augmentFlip = false;

  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  const stop = new StopRequest('step', opts.stopAfterSteps);
  try {
    const training = buildTraining(engine, options, dataset);
    const cost = fixedNetworkCost(training.network);
    let sums: TrainSums = emptyTrainSums();
    if (opts.resume && run) {
      const { tensors, meta } = readCheckpoint<TrainCheckpointMeta>(run.trainCheckpointPath);
      try {
        restoreTraining(training, tensors, meta);
      } catch (e) {
        throw new UsageError(`${run.trainCheckpointPath}: ${(e as Error).message}`);
      }
      sums = (meta.extra?.sums as TrainSums | undefined) ?? emptyTrainSums();
      if (!opts.quiet) console.log(`resuming ${run.path} at epoch ${training.epoch + 1}, step ${training.steps}`);
      run.rewindLogToCheckpoint(opts.quiet ? undefined : console.log);
    } else {
      run = RunDir.create(opts.out as string);
      run.writeConfig({
        format: 1,
        command: 'train',
        space: options.space,
        preset: options.preset,
        dataset: {
          name: dataset.name,
          directory,
          train: dataset.train.count,
          valid: 0,
          test: dataset.test.count,
          classes: dataset.classes,
        },
        seed: options.seed,
        options: options as unknown as Record<string, unknown>,
        createdAt: new Date().toISOString(),
        adapter: ctx.describe(),
        arc: options.arc,
      });
      const arch = parseTrainArc(options.space, options.arc, 'the architecture');
      run.writeText('arc.txt', `${options.arc}\n`);
      run.writeText('arc.svg', drawArchitectureSvg(arch));
      if (!opts.quiet) {
        console.log(`adapter: ${ctx.describe()}`);
        console.log(
          `${options.space} network (${options.preset}): ${millions(cost.parameters)} parameters` +
            `${cost.auxHeadParameters > 0 ? ` + ${millions(cost.auxHeadParameters)} in the aux head` : ''}, ` +
            `${(cost.multiplyAdds / 1e6).toFixed(1)}M multiply-adds per image`,
        );
        console.log(
          `training on ${dataset.name}: ${dataset.train.count} training / ${dataset.test.count} test images, ` +
            `${options.epochs} epochs × ${training.stepsPerEpoch} steps, batch ${options.batchSize}; run directory ${run.path}`,
        );
      }
    }
    const firstStep = training.steps;
    const outcome = await runTrainLoop(
      {
        training,
        run,
        options,
        quiet: !!opts.quiet,
        shouldStop: () => stop.requested(training.steps - firstStep),
        print: (line) => console.log(line),
      },
      sums,
    );
    if (outcome.kind === 'interrupted') {
      reportInterrupted('train', run);
      return;
    }
    const { test } = outcome;
    console.log(
      `test accuracy ${test.accuracy.toFixed(4)} (${test.correct}/${test.count}) after ${options.epochs} epochs; run directory ${run.path}`,
    );
  } finally {
    stop.dispose();
    engine.destroy();
    ctx.destroy();
  }
}
