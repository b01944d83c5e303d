/**
 * `enas train --space rnn`: a fixed recurrent cell trained from scratch on Penn Treebank text (enas_lm `fixed.py`;
 * the model and trainer are the enas package's RnnFixedTraining). Options are a preset with flag overrides, stored
 * in config.json; log.jsonl gets 'rnn-window' records, one 'rnn-train-epoch' per epoch (train and full validation
 * perplexity) and 'rnn-test' at the end (the test text as one sequence, as fixed.py measures it).
 *
 * checkpoints/train.safetensors (every weight, the carried state, counters, random state and the partial epoch's
 * sums) is written at the end of every epoch and when Ctrl-C stops the run after a window; `--resume` continues
 * exactly where it stopped, mid-epoch included.
 */
import type { Engine } from '@enas-webgpu/autograd';
import {
  type PtbCorpus,
  parseRnnArchitecture,
  type RnnArchitecture,
  type RnnFixedCounters,
  type RnnFixedOptions,
  RnnFixedTraining,
} from '@enas-webgpu/enas';
import { applyOverrides, kebab, type OverrideSpec } from '../run/overrides.js';
import type { RunDir } from '../run/run-dir.js';
import { readTensorCheckpoint, writeTensorCheckpoint } from '../run/tensor-checkpoint.js';
import { UsageError } from '../run-cli.js';
import { formatDuration, ProgressBar } from '../ui/progress.js';

export interface RnnTrainOptions {
  space: 'rnn';
  preset: string;
  /** The cell trained, as its arc string. */
  arc: string;
  epochs: number;
  hidden: number;
  batchSize: number;
  bpttSteps: number;
  learningRate: number;
  clipNorm: number;
  /** Use only this many training tokens (0 = all). */
  trainTokens: number;
  /** Validate and test on only this many tokens of each text (0 = all). */
  evalTokens: number;
  seed: number;
}

type PresetValues = Omit<RnnTrainOptions, 'space' | 'preset' | 'arc'>;

export const RNN_TRAIN_PRESETS: Record<string, PresetValues> = {
  // GPU fixed_lib.py: hidden 800, batch 64, BPTT 35, SGD lr 20, clip 0.25, 3000 epochs (final dropouts, L2, AR: enas).
  'paper-rnn-final': {
    epochs: 3000,
    hidden: 800,
    batchSize: 64,
    bpttSteps: 35,
    learningRate: 20,
    clipNorm: 0.25,
    trainTokens: 0,
    evalTokens: 0,
    seed: 1,
  },
  // Minutes on a CPU.
  'tiny-rnn': {
    epochs: 3,
    hidden: 32,
    batchSize: 16,
    bpttSteps: 20,
    learningRate: 20,
    clipNorm: 0.25,
    trainTokens: 20_000,
    evalTokens: 5_000,
    seed: 1,
  },
};

/** Flags of `enas train` that mean something for the rnn space (epochs, batch size, clip norm and seed are shared). */
export const RNN_TRAIN_OVERRIDES: Record<string, OverrideSpec<keyof PresetValues>> = {
  epochs: { key: 'epochs', kind: 'int', min: 1, help: 'epochs over the training text' },
  batchSize: { key: 'batchSize', kind: 'int', min: 1, help: 'rows of the token matrix' },
  hidden: { key: 'hidden', kind: 'int', min: 1, help: 'rnn: hidden size = embedding size' },
  bptt: { key: 'bpttSteps', kind: 'int', min: 2, help: 'rnn: nominal BPTT window length' },
  lr: { key: 'learningRate', kind: 'number', min: 0, help: 'rnn: SGD learning rate' },
  clipNorm: { key: 'clipNorm', kind: 'number', min: 0, help: 'global-norm gradient clipping' },
  trainTokens: { key: 'trainTokens', kind: 'int', min: 0, help: 'rnn: use only this many training tokens (0 = all)' },
  evalTokens: { key: 'evalTokens', kind: 'int', min: 0, help: 'rnn: validate and test on this many tokens (0 = all)' },
  seed: { key: 'seed', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'random seed' },
};

/** The preset's values with the given flags applied and checked; `text` is the cell's arc string. */
export function resolveRnnTrainOptions(presetName: string, text: string, given: Record<string, unknown>): RnnTrainOptions {
  const base = RNN_TRAIN_PRESETS[presetName];
  if (!base) {
    throw new UsageError(`unknown preset '${presetName}' for --space rnn; choose one of ${Object.keys(RNN_TRAIN_PRESETS).join(', ')}`);
  }
  const o: RnnTrainOptions = { space: 'rnn', preset: presetName, arc: text, ...base };
  applyOverrides(o, RNN_TRAIN_OVERRIDES, given);
  return o;
}

/** Flags that `enas train --space rnn` would silently ignore: refused instead. */
export function refuseCnnFlags(given: Record<string, unknown>, cnnFlags: readonly string[]): void {
  const wrong = cnnFlags.filter((f) => !(f in RNN_TRAIN_OVERRIDES) && given[f] !== undefined);
  if (given.aux === false) wrong.push('no-aux');
  if (given.flip !== undefined) wrong.push('flip');
  if (given.dataset !== undefined && given.dataset !== 'ptb') wrong.push('dataset');
  if (wrong.length > 0) {
    throw new UsageError(
      `${wrong.map((f) => `--${kebab(f)}`).join(', ')}: CNN training options; --space rnn trains on text (see enas train --help)`,
    );
  }
}

export function parseRnnArc(text: string, where: string): RnnArchitecture {
  try {
    return parseRnnArchitecture(text);
  } catch (e) {
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
}

export function rnnFixedOptionsOf(o: RnnTrainOptions, vocabSize: number): RnnFixedOptions {
  return {
    model: { vocabSize, hidden: o.hidden },
    training: { batchSize: o.batchSize, bpttSteps: o.bpttSteps, learningRate: o.learningRate, clipNorm: o.clipNorm },
    seed: o.seed,
  };
}

export function buildRnnTraining(engine: Engine, o: RnnTrainOptions, corpus: PtbCorpus): RnnFixedTraining {
  try {
    return new RnnFixedTraining(
      engine,
      parseRnnArc(o.arc, 'the architecture'),
      corpus.train,
      rnnFixedOptionsOf(o, corpus.vocabulary.words.length),
    );
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/** The evaluation texts, shortened to --eval-tokens. */
export function evalTexts(o: RnnTrainOptions, corpus: PtbCorpus): { valid: Int32Array; test: Int32Array } {
  const cut = (t: Int32Array) => (o.evalTokens > 0 && o.evalTokens < t.length ? t.subarray(0, o.evalTokens) : t);
  return { valid: cut(corpus.valid), test: cut(corpus.test) };
}

/** Sums of the epoch in progress, kept in the checkpoint so a resumed epoch reports what an unbroken one would. */
interface EpochSums {
  loss: number;
  windows: number;
  seconds: number;
}

interface RnnTrainCheckpointMeta {
  format: 1;
  space: 'rnn';
  kind: 'train';
  counters: RnnFixedCounters;
  sums: EpochSums;
}

async function writeRnnTrainCheckpoint(path: string, t: RnnFixedTraining, sums: EpochSums): Promise<void> {
  const meta: RnnTrainCheckpointMeta = { format: 1, space: 'rnn', kind: 'train', counters: t.counters(), sums };
  await writeTensorCheckpoint(path, t.engine, t.stateTensors(), meta);
}

/** Restores a checkpoint into `t`; returns the partial epoch's sums. */
export function restoreRnnTraining(path: string, t: RnnFixedTraining): EpochSums {
  const { values, meta } = readTensorCheckpoint<RnnTrainCheckpointMeta>(
    path,
    'an RNN training',
    (m) => m.space === 'rnn' && m.kind === 'train',
  );
  try {
    t.restore(values, meta.counters);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  return meta.sums;
}

export interface RnnTrainIo {
  quiet: boolean;
  shouldStop: () => boolean;
  print: (line: string) => void;
}

export type RnnTrainOutcome = { kind: 'finished'; testPerplexity: number; testTokens: number } | { kind: 'interrupted' };

/**
 * The training loop: windows until the epoch ends (each window's loss read back once the next is submitted, so
 * the GPU never waits for the CPU), then full validation, a log record and a checkpoint; the test at the end.
 */
export async function runRnnTraining(
  t: RnnFixedTraining,
  run: RunDir,
  o: RnnTrainOptions,
  texts: { valid: Int32Array; test: Int32Array },
  io: RnnTrainIo,
  startSums: EpochSums = { loss: 0, windows: 0, seconds: 0 },
): Promise<RnnTrainOutcome> {
  const bar = new ProgressBar(io.quiet);
  const columns = t.trainer.cursor.matrix.batchLength;
  let sums = { ...startSums };
  const checkpoint = async () => {
    await writeRnnTrainCheckpoint(run.trainCheckpointPath, t, sums);
    run.log({ type: 'checkpoint', time: Date.now(), epoch: t.epoch, step: t.trainer.windows, path: 'checkpoints/train.safetensors' });
  };
  while (t.epoch < o.epochs) {
    const epoch = t.epoch;
    const started = Date.now() - sums.seconds * 1000;
    bar.start();
    const record = async (w: { loss: Promise<number>; steps: number; learningRate: number }, step: number, done: number) => {
      const loss = await w.loss;
      sums.loss += loss;
      sums.windows += 1;
      run.log({ type: 'rnn-window', time: Date.now(), epoch, step, arc: o.arc, loss, steps: w.steps, lr: w.learningRate });
      bar.update(`epoch ${epoch + 1}/${o.epochs}`, done, columns, `ppl ${Math.exp(loss).toFixed(1)}`);
    };
    let previous: Promise<void> = Promise.resolve();
    for (;;) {
      const w = t.trainer.trainWindow(t.architecture);
      await previous;
      previous = record(w, t.trainer.windows - 1, w.epochEnd ? columns : t.trainer.cursor.start);
      if (w.epochEnd) break;
      if (io.shouldStop()) {
        await previous;
        bar.clear();
        sums.seconds = (Date.now() - started) / 1000;
        await checkpoint();
        return { kind: 'interrupted' };
      }
    }
    await previous;
    bar.clear();
    t.epoch += 1;
    const valid = await t.validate(texts.valid);
    const seconds = (Date.now() - started) / 1000;
    const trainPerplexity = Math.exp(sums.loss / sums.windows);
    run.log({
      type: 'rnn-train-epoch',
      time: Date.now(),
      epoch,
      windows: sums.windows,
      trainPerplexity,
      validPerplexity: valid.perplexity,
      seconds,
    });
    if (!io.quiet) {
      io.print(
        `epoch ${epoch + 1}/${o.epochs}  train ppl ${trainPerplexity.toFixed(1)}  valid ppl ${valid.perplexity.toFixed(1)}  ` +
          `${sums.windows} windows  ${formatDuration(seconds)}`,
      );
    }
    sums = { loss: 0, windows: 0, seconds: 0 };
    await checkpoint();
    if (io.shouldStop() && t.epoch < o.epochs) return { kind: 'interrupted' };
  }
  const test = await t.test(texts.test);
  run.log({ type: 'rnn-test', time: Date.now(), epoch: t.epoch, split: 'test', perplexity: test.perplexity, tokens: test.tokens });
  return { kind: 'finished', testPerplexity: test.perplexity, testTokens: test.tokens };
}
