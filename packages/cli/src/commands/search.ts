/**
 * `enas search`: a headless ENAS search that a researcher can leave running, interrupt (Ctrl-C writes a
 * checkpoint), resume exactly (`--resume RUN_DIR`) and read (config.json, log.jsonl, best_arc.txt/.svg).
 */
import { Engine } from '@enas-webgpu/autograd';
import { type RunConfig, restoreSearch } from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { loadDataset } from '../data/datasets.js';
import { readCheckpoint } from '../run/checkpoint-file.js';
import { RunDir } from '../run/run-dir.js';
import { reportInterrupted, StopRequest } from '../run/stop-request.js';
import { UsageError } from '../run-cli.js';
import { buildSearch } from '../search/build-search.js';
import { type ResolvedSearchOptions, resolveSearchOptions, type SearchSpaceName } from '../search/presets.js';
import { type EpochSums, emptySums, runSearchLoop } from '../search/search-loop.js';
import { rnnSearchCommand } from './search-rnn.js';

export interface SearchCommandOptions extends Record<string, unknown> {
  space?: string;
  preset?: string;
  data?: string;
  dataset?: string;
  out?: string;
  resume?: string;
  quiet?: boolean;
  /** Hidden: behave as if interrupted after this many child steps (tests of resume). */
  stopAfterSteps?: string;
}

export async function searchCommand(opts: SearchCommandOptions): Promise<void> {
  if (opts.resume && opts.out) throw new UsageError('give either --out (a new run) or --resume (continue one), not both');
  if (!opts.resume && !opts.out) throw new UsageError('--out RUN_DIR is required (where config.json, log.jsonl and checkpoints go)');
  if (opts.space !== undefined && !['micro', 'macro', 'rnn'].includes(opts.space)) {
    throw new UsageError(`--space ${opts.space}: choose micro, macro or rnn`);
  }
  if (opts.space === 'rnn' || (opts.resume && RunDir.open(opts.resume).config.space === 'rnn')) return rnnSearchCommand(opts);

  // Everything is checked (options, data) before anything is written.
  let options: ResolvedSearchOptions;
  let config: RunConfig | undefined;
  let run: RunDir | undefined;
  if (opts.resume) {
    const opened = RunDir.open(opts.resume);
    run = opened.run;
    config = opened.config;
    if (config.command !== 'search') throw new UsageError(`${opts.resume} is a '${config.command}' run, not a search`);
    options = { ...(config.options as unknown as ResolvedSearchOptions) };
    if (opts.epochs !== undefined) options.epochs = Number(opts.epochs);
  } else {
    const preset = opts.preset ?? (opts.space === 'macro' ? 'paper-macro' : 'tiny');
    options = resolveSearchOptions(preset, opts.space as SearchSpaceName | undefined, opts);
  }
  const { dataset, directory } = await loadDataset({
    data: opts.resume ? config?.dataset.directory : opts.data,
    dataset: opts.resume ? config?.dataset.name : opts.dataset,
    trainSize: options.trainSize,
    validationSize: options.validSize,
    recordsPerFile: options.cifarRecords,
  });

  // Mirror images are other digits: flips are for natural images only, unless asked for.
  if (!opts.resume && opts.flip === undefined && dataset.name === 'mnist') options.augmentFlip = false;

  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  const stop = new StopRequest('step', opts.stopAfterSteps);
  try {
    const search = buildSearch(engine, options, dataset);
    let progress = { epoch: 0, phase: 'child' as 'child' | 'controller', childStep: 0, controllerStep: 0 };
    let sums: EpochSums = emptySums();
    if (opts.resume && run) {
      const { tensors, meta } = readCheckpoint(run.checkpointPath);
      progress = restoreSearch(search, tensors, meta);
      sums = (meta.extra?.sums as EpochSums | undefined) ?? emptySums();
      if (!opts.quiet)
        console.log(
          `resuming ${run.path} at epoch ${progress.epoch + 1}, ${progress.phase} step ${progress.phase === 'child' ? progress.childStep : progress.controllerStep}`,
        );
      run.rewindLogToCheckpoint(opts.quiet ? undefined : console.log);
    } else {
      run = RunDir.create(opts.out as string);
      run.writeConfig({
        format: 1,
        command: 'search',
        space: options.space,
        preset: options.preset,
        dataset: {
          name: dataset.name,
          directory,
          train: dataset.train.count,
          valid: dataset.valid?.count ?? 0,
          test: dataset.test.count,
          classes: dataset.classes,
        },
        seed: options.seed,
        options: options as unknown as Record<string, unknown>,
        createdAt: new Date().toISOString(),
        adapter: ctx.describe(),
      });
      if (!opts.quiet) {
        console.log(`adapter: ${ctx.describe()}`);
        console.log(
          `${options.space} search (${options.preset}) on ${dataset.name}: ${dataset.train.count} training / ${dataset.valid?.count} validation images, ` +
            `${options.epochs} epochs × ${search.stepsPerEpoch} child steps, batch ${options.batchSize}; run directory ${run.path}`,
        );
      }
    }
    const firstStep = search.childSteps;
    const outcome = await runSearchLoop(
      {
        search,
        run,
        options,
        quiet: !!opts.quiet,
        shouldStop: () => stop.requested(search.childSteps - firstStep),
        print: (line) => console.log(line),
      },
      progress,
      sums,
    );
    if (outcome.kind === 'interrupted') {
      reportInterrupted('search', run);
      return;
    }
    console.log(`best architecture (validation accuracy ${outcome.best.accuracy.toFixed(4)} on one batch): ${outcome.best.arc}`);
    console.log(`written: ${run.file('best_arc.txt')}, ${run.file('best_arc.svg')}`);
  } finally {
    stop.dispose();
    engine.destroy();
    ctx.destroy();
  }
}
