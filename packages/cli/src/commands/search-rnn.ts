/** `enas search --space rnn`: option handling and run directory around search/rnn-search.ts. */
import { Engine } from '@enas-webgpu/autograd';
import { RnnSearch } from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { RunDir } from '../run/run-dir.js';
import { reportInterrupted, StopRequest } from '../run/stop-request.js';
import { UsageError } from '../run-cli.js';
import {
  loadRnnCorpus,
  type RnnPreset,
  resolveRnnOptions,
  restoreRnnCheckpoint,
  runRnnSearch,
  searchOptionsOf,
} from '../search/rnn-search.js';
import type { SearchCommandOptions } from './search.js';

export async function rnnSearchCommand(opts: SearchCommandOptions): Promise<void> {
  let options: RnnPreset & { preset: string };
  let run: RunDir | undefined;
  let data: string | undefined;
  if (opts.resume) {
    const opened = RunDir.open(opts.resume);
    run = opened.run;
    options = opened.config.options as unknown as RnnPreset & { preset: string };
    data = opened.config.dataset.directory;
    if (opts.epochs !== undefined) options.epochs = Number(opts.epochs);
  } else {
    options = resolveRnnOptions(opts.preset ?? 'tiny-rnn', opts);
    data = opts.data;
    if (opts.dataset && opts.dataset !== 'ptb')
      throw new UsageError(`--dataset ${opts.dataset}: the rnn space reads Penn Treebank text (--data DIR) or the built-in text`);
  }
  const { corpus, name } = await loadRnnCorpus(data, options.trainTokens);

  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  const stop = new StopRequest('window', opts.stopAfterSteps);
  try {
    let search: RnnSearch;
    try {
      search = new RnnSearch(
        engine,
        { train: corpus.train, valid: corpus.valid },
        searchOptionsOf(options, corpus.vocabulary.words.length),
      );
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (opts.resume && run) {
      restoreRnnCheckpoint(run.checkpointPath, search);
      if (!opts.quiet) console.log(`resuming ${run.path} at epoch ${search.epoch + 1}`);
      run.rewindLogToCheckpoint(opts.quiet ? undefined : console.log);
    } else {
      run = RunDir.create(opts.out as string);
      run.writeConfig({
        format: 1,
        command: 'search',
        space: 'rnn',
        preset: options.preset,
        dataset: { name, directory: data, train: corpus.train.length, valid: corpus.valid.length, test: corpus.test.length, classes: [] },
        seed: options.seed,
        options: options as unknown as Record<string, unknown>,
        createdAt: new Date().toISOString(),
        adapter: ctx.describe(),
      });
      if (!opts.quiet) {
        console.log(`adapter: ${ctx.describe()}`);
        console.log(
          `rnn search (${options.preset}) on ${name}: ${corpus.train.length} training tokens, vocabulary ${corpus.vocabulary.words.length}, ` +
            `hidden ${options.hidden}, ${options.nodes} nodes, ${options.epochs} epochs; run directory ${run.path}`,
        );
      }
    }
    const first = search.trainer.windows;
    const outcome = await runRnnSearch(search, run, options, {
      quiet: !!opts.quiet,
      shouldStop: () => stop.requested(search.trainer.windows - first),
      print: (line) => console.log(line),
    });
    if (outcome.kind === 'interrupted') {
      reportInterrupted('search', run);
      return;
    }
    console.log(`best cell (validation perplexity ${outcome.perplexity.toFixed(1)} on one batch): ${outcome.arc}`);
    console.log(`written: ${run.file('best_arc.txt')}, ${run.file('best_arc.svg')}`);
  } finally {
    stop.dispose();
    engine.destroy();
    ctx.destroy();
  }
}
