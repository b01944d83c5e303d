/** `enas train --space rnn` and `enas eval` of its runs: option handling and run directory around train/rnn-train.ts. */
import { readFileSync } from 'node:fs';
import { Engine } from '@enas-webgpu/autograd';
import { drawArchitectureSvg, printRnnArchitecture } from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { kebab } from '../run/overrides.js';
import { RunDir } from '../run/run-dir.js';
import { reportInterrupted, StopRequest } from '../run/stop-request.js';
import { UsageError } from '../run-cli.js';
import { loadRnnCorpus } from '../search/rnn-search.js';
import {
  buildRnnTraining,
  evalTexts,
  parseRnnArc,
  RNN_TRAIN_OVERRIDES,
  type RnnTrainOptions,
  refuseCnnFlags,
  resolveRnnTrainOptions,
  restoreRnnTraining,
  runRnnTraining,
} from '../train/rnn-train.js';
import { TRAIN_OVERRIDES } from '../train/train-options.js';
import type { TrainCommandOptions } from './train.js';

export async function rnnTrainCommand(opts: TrainCommandOptions): Promise<void> {
  let options: RnnTrainOptions;
  let run: RunDir | undefined;
  let data: string | undefined;
  if (opts.resume) {
    const changed = [...new Set([...Object.keys(TRAIN_OVERRIDES), ...Object.keys(RNN_TRAIN_OVERRIDES), 'data', 'preset'])].filter(
      (k) => opts[k] !== undefined,
    );
    if (changed.length > 0) {
      throw new UsageError(
        `--resume continues the run with its own options (config.json); drop ${changed.map((k) => `--${kebab(k)}`).join(', ')}`,
      );
    }
    const opened = RunDir.open(opts.resume);
    run = opened.run;
    options = opened.config.options as unknown as RnnTrainOptions;
    data = opened.config.dataset.directory;
  } else {
    refuseCnnFlags(opts, Object.keys(TRAIN_OVERRIDES));
    let text = opts.arc as string;
    if (opts.arcFile !== undefined) {
      try {
        text = readFileSync(opts.arcFile, 'utf8');
      } catch (e) {
        throw new UsageError(`--arc-file ${opts.arcFile}: ${(e as Error).message}`);
      }
    }
    const arch = parseRnnArc(text, opts.arcFile !== undefined ? `--arc-file ${opts.arcFile}` : '--arc');
    options = resolveRnnTrainOptions(opts.preset ?? 'tiny-rnn', printRnnArchitecture(arch), opts);
    data = opts.data;
  }
  const { corpus, name } = await loadRnnCorpus(data, options.trainTokens);
  const texts = evalTexts(options, corpus);

  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  const stop = new StopRequest('window', opts.stopAfterSteps);
  try {
    const training = buildRnnTraining(engine, options, corpus);
    let sums: ReturnType<typeof restoreRnnTraining> | undefined;
    if (opts.resume && run) {
      sums = restoreRnnTraining(run.trainCheckpointPath, training);
      if (!opts.quiet) console.log(`resuming ${run.path} at epoch ${training.epoch + 1}, window ${training.trainer.windows}`);
      run.rewindLogToCheckpoint(opts.quiet ? undefined : console.log);
    } else {
      run = RunDir.create(opts.out as string);
      run.writeConfig({
        format: 1,
        command: 'train',
        space: 'rnn',
        preset: options.preset,
        dataset: { name, directory: data, train: corpus.train.length, valid: texts.valid.length, test: texts.test.length, classes: [] },
        seed: options.seed,
        options: options as unknown as Record<string, unknown>,
        createdAt: new Date().toISOString(),
        adapter: ctx.describe(),
        arc: options.arc,
      });
      run.writeText('arc.txt', `${options.arc}\n`);
      run.writeText('arc.svg', drawArchitectureSvg(training.architecture));
      if (!opts.quiet) {
        const parameters = [...training.lm.namedParameters()].reduce((n, [, t]) => n + t.size, 0);
        console.log(`adapter: ${ctx.describe()}`);
        console.log(
          `rnn cell (${options.preset}): ${training.architecture.nodes.length} nodes, hidden ${options.hidden}, ` +
            `${(parameters / 1e6).toFixed(2)}M parameters; ${name}: ${corpus.train.length} training tokens, ` +
            `vocabulary ${corpus.vocabulary.words.length}; ${options.epochs} epochs; run directory ${run.path}`,
        );
      }
    }
    const first = training.trainer.windows;
    const io = {
      quiet: !!opts.quiet,
      shouldStop: () => stop.requested(training.trainer.windows - first),
      print: (line: string) => console.log(line),
    };
    const outcome = await runRnnTraining(training, run, options, texts, io, sums);
    if (outcome.kind === 'interrupted') {
      reportInterrupted('train', run);
      return;
    }
    console.log(
      `test perplexity ${outcome.testPerplexity.toFixed(2)} (${outcome.testTokens} tokens) after ${options.epochs} epochs; run directory ${run.path}`,
    );
  } finally {
    stop.dispose();
    engine.destroy();
    ctx.destroy();
  }
}

/** `enas eval RUN_DIR` of an rnn training: the perplexity of its latest checkpoint on the test (or validation) text. */
export async function rnnEvalCommand(run: RunDir, options: RnnTrainOptions, data: string | undefined, split: string, quiet: boolean) {
  if (split !== 'test' && split !== 'valid') throw new UsageError(`--split ${split}: an rnn training is evaluated on test or valid`);
  const { corpus } = await loadRnnCorpus(data, options.trainTokens);
  const texts = evalTexts(options, corpus);
  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  try {
    const training = buildRnnTraining(engine, options, corpus);
    restoreRnnTraining(run.trainCheckpointPath, training);
    const r = split === 'test' ? await training.test(texts.test) : await training.validate(texts.valid);
    run.log({ type: 'rnn-test', time: Date.now(), epoch: training.epoch, split, perplexity: r.perplexity, tokens: r.tokens });
    console.log(
      `${split} perplexity ${r.perplexity.toFixed(2)} (${r.tokens} tokens) after ${training.epoch} epochs` +
        `${quiet ? '' : `; arc: ${options.arc}`}`,
    );
  } finally {
    engine.destroy();
    ctx.destroy();
  }
}
