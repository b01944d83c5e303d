/**
 * `enas search --space rnn`: the recurrent-cell search on Penn Treebank text (enas_lm; reference notes a.1),
 * with the same run directory as the CNN searches: config.json, log.jsonl ('rnn-window' and 'rnn-epoch' records,
 * 'derive'), checkpoints/search.safetensors (every weight, the controller and its Adam moments, the baseline,
 * counters and random state) written at the end of every epoch, best_arc.txt/.svg.
 *
 * Resuming continues from the last completed epoch exactly. Ctrl-C during an epoch stops after the current window
 * and also writes a checkpoint; resuming from it continues the epoch, but the cells the controller had sampled
 * ahead are drawn again, so from there the run departs from an uninterrupted one.
 */
import {
  builtinCorpus,
  drawArchitectureSvg,
  loadPtb,
  type PtbCorpus,
  printRnnArchitecture,
  type RnnSearch,
  type RnnSearchCounters,
  type RnnSearchOptions,
} from '@enas-webgpu/enas';
import { directoryDataSource } from '../run/node-data-source.js';
import type { RunDir } from '../run/run-dir.js';
import { readTensorCheckpoint, writeTensorCheckpoint } from '../run/tensor-checkpoint.js';
import { UsageError } from '../run-cli.js';
import { formatDuration } from '../ui/progress.js';

export interface RnnPreset {
  hidden: number;
  nodes: number;
  batchSize: number;
  bpttSteps: number;
  learningRate: number;
  clipNorm: number;
  epochs: number;
  /** Controller samples per epoch (num_train_steps × num_aggregate: 25 × 10 in enas_lm). */
  controllerSamples: number;
  aggregate: number;
  validBatchSize: number;
  /** Validation batches per validation (0 = one pass over the validation text). */
  validBatches: number;
  /** Use only this many training tokens (0 = all). */
  trainTokens: number;
  deriveSamples: number;
  seed: number;
}

export const RNN_PRESETS: Record<string, RnnPreset> = {
  // enas_lm search: hidden 200, 8 nodes (the published cell), batch 128, BPTT 35, SGD lr 20, clip 0.1, 250 samples.
  'paper-rnn': {
    hidden: 200,
    nodes: 8,
    batchSize: 128,
    bpttSteps: 35,
    learningRate: 20,
    clipNorm: 0.1,
    epochs: 600,
    controllerSamples: 250,
    aggregate: 10,
    validBatchSize: 128,
    validBatches: 0,
    trainTokens: 0,
    deriveSamples: 100,
    seed: 1,
  },
  // Minutes on a CPU: small hidden size, short text, few samples.
  'tiny-rnn': {
    hidden: 32,
    nodes: 8,
    batchSize: 16,
    bpttSteps: 20,
    learningRate: 20,
    clipNorm: 0.1,
    epochs: 3,
    controllerSamples: 20,
    aggregate: 10,
    validBatchSize: 16,
    validBatches: 4,
    trainTokens: 20_000,
    deriveSamples: 10,
    seed: 1,
  },
};

export const RNN_OVERRIDES: Record<string, keyof RnnPreset> = {
  hidden: 'hidden',
  nodes: 'nodes',
  batchSize: 'batchSize',
  bptt: 'bpttSteps',
  lr: 'learningRate',
  clipNorm: 'clipNorm',
  epochs: 'epochs',
  controllerSamples: 'controllerSamples',
  aggregate: 'aggregate',
  validBatches: 'validBatches',
  trainTokens: 'trainTokens',
  deriveSamples: 'deriveSamples',
  seed: 'seed',
};

export function resolveRnnOptions(preset: string, given: Record<string, unknown>): RnnPreset & { preset: string } {
  const base = RNN_PRESETS[preset];
  if (!base) throw new UsageError(`unknown preset '${preset}' for --space rnn; choose one of ${Object.keys(RNN_PRESETS).join(', ')}`);
  const o = { ...base, preset };
  for (const [flag, key] of Object.entries(RNN_OVERRIDES)) {
    const raw = given[flag];
    if (raw === undefined) continue;
    const v = Number(raw);
    const integer = key !== 'learningRate' && key !== 'clipNorm';
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < 0) {
      throw new UsageError(
        `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${raw}: expected a non-negative ${integer ? 'integer' : 'number'}`,
      );
    }
    o[key] = v;
  }
  if (o.controllerSamples % o.aggregate !== 0) {
    throw new UsageError(
      `--controller-samples ${o.controllerSamples} must be a multiple of --aggregate ${o.aggregate} (samples are averaged per update)`,
    );
  }
  for (const k of ['hidden', 'nodes', 'batchSize', 'bpttSteps', 'epochs', 'aggregate'] as const) {
    if (o[k] < 1) throw new UsageError(`--${k} must be at least 1 (got ${o[k]})`);
  }
  return o;
}

export async function loadRnnCorpus(data: string | undefined, trainTokens: number): Promise<{ corpus: PtbCorpus; name: string }> {
  let corpus: PtbCorpus;
  let name: string;
  if (data) {
    try {
      corpus = await loadPtb(directoryDataSource(data));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--data ${data}: ${(e as Error).message}`);
    }
    name = 'ptb';
  } else {
    corpus = builtinCorpus();
    name = 'builtin-text';
  }
  if (trainTokens > 0 && trainTokens < corpus.train.length) corpus = { ...corpus, train: corpus.train.subarray(0, trainTokens) };
  return { corpus, name };
}

export function searchOptionsOf(o: RnnPreset, vocabSize: number): RnnSearchOptions {
  return {
    model: { vocabSize, hidden: o.hidden, nodes: o.nodes },
    training: { batchSize: o.batchSize, bpttSteps: o.bpttSteps, learningRate: o.learningRate, clipNorm: o.clipNorm },
    reinforce: { aggregate: o.aggregate },
    validBatchSize: o.validBatchSize,
    validBatches: o.validBatches > 0 ? o.validBatches : undefined,
    seed: o.seed,
  };
}

interface RnnCheckpointMeta {
  format: 1;
  space: 'rnn';
  counters: RnnSearchCounters;
  complete: boolean;
}

function writeRnnCheckpoint(path: string, search: RnnSearch, complete: boolean): Promise<void> {
  const meta: RnnCheckpointMeta = { format: 1, space: 'rnn', counters: search.counters(), complete };
  return writeTensorCheckpoint(path, search.engine, search.stateTensors(), meta);
}

export function restoreRnnCheckpoint(path: string, search: RnnSearch): void {
  const { values, meta } = readTensorCheckpoint<RnnCheckpointMeta>(path, 'an RNN search', (m) => m.space === 'rnn' && 'complete' in m);
  search.restore(values, meta.counters);
}

export async function runRnnSearch(
  search: RnnSearch,
  run: RunDir,
  o: RnnPreset,
  io: { quiet: boolean; shouldStop: () => boolean; print: (line: string) => void },
): Promise<{ kind: 'finished'; arc: string; perplexity: number } | { kind: 'interrupted' }> {
  while (search.epoch < o.epochs) {
    const started = Date.now();
    const epoch = search.epoch;
    let windows = 0;
    let lossSum = 0;
    let stopped = false;
    for (;;) {
      const w = await search.trainWindow();
      const loss = await w.loss;
      lossSum += loss;
      windows += 1;
      run.log({
        type: 'rnn-window',
        time: Date.now(),
        epoch,
        step: search.trainer.windows - 1,
        arc: printRnnArchitecture(w.architecture),
        loss,
        steps: w.steps,
        lr: w.learningRate,
      });
      if (w.epochEnd) break;
      if (io.shouldStop()) {
        stopped = true;
        break;
      }
    }
    if (stopped) {
      await writeRnnCheckpoint(run.checkpointPath, search, false);
      return { kind: 'interrupted' };
    }
    const controller = await search.trainController(o.controllerSamples);
    const validPerplexity = await search.validate();
    search.epoch += 1;
    const record = {
      type: 'rnn-epoch' as const,
      time: Date.now(),
      epoch,
      windows,
      trainPerplexity: Math.exp(lossSum / windows),
      validPerplexity,
      reward: controller.meanReward,
      sampledPerplexity: controller.meanPerplexity,
      baseline: controller.baseline,
      seconds: (Date.now() - started) / 1000,
    };
    run.log(record);
    if (!io.quiet) {
      io.print(
        `epoch ${epoch + 1}/${o.epochs}  train ppl ${record.trainPerplexity.toFixed(1)}  valid ppl ${validPerplexity.toFixed(1)}  ` +
          `reward ${record.reward.toFixed(4)}  sampled-cell ppl ${record.sampledPerplexity.toFixed(1)}  ${formatDuration(record.seconds)}`,
      );
    }
    await writeRnnCheckpoint(run.checkpointPath, search, true);
    run.log({
      type: 'checkpoint',
      time: Date.now(),
      epoch: search.epoch,
      step: search.trainer.windows,
      path: 'checkpoints/search.safetensors',
    });
    if (io.shouldStop() && search.epoch < o.epochs) return { kind: 'interrupted' };
  }
  const best = await search.derive(o.deriveSamples);
  run.log({
    type: 'rnn-derive',
    time: Date.now(),
    epoch: search.epoch,
    samples: o.deriveSamples,
    best: { arc: best.arc, perplexity: best.perplexity },
  });
  run.writeText('best_arc.txt', `${best.arc}\n`);
  run.writeText('best_arc.svg', drawArchitectureSvg(best.architecture));
  return { kind: 'finished', arc: best.arc, perplexity: best.perplexity };
}
