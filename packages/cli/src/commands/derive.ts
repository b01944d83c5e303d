/** `enas derive RUN_DIR`: sample N architectures from a search's controller, score each on one validation batch, keep the best. */
import { Engine } from '@enas-webgpu/autograd';
import { drawArchitectureSvg, parseArchitecture, restoreSearch } from '@enas-webgpu/enas';
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';
import { loadDataset } from '../data/datasets.js';
import { readCheckpoint } from '../run/checkpoint-file.js';
import { RunDir } from '../run/run-dir.js';
import { UsageError } from '../run-cli.js';
import { buildSearch } from '../search/build-search.js';
import type { ResolvedSearchOptions } from '../search/presets.js';

export async function deriveCommand(runDir: string, opts: { samples?: string; quiet?: boolean }): Promise<void> {
  const samples = opts.samples === undefined ? 100 : Number(opts.samples);
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--samples ${opts.samples}: must be a positive integer`);
  const { run, config } = RunDir.open(runDir, 'derive');
  if (config.command !== 'search') throw new UsageError(`${runDir} is a '${config.command}' run; derive needs a search run`);
  const options = config.options as unknown as ResolvedSearchOptions;
  const { dataset } = await loadDataset({
    data: config.dataset.directory,
    dataset: config.dataset.name,
    trainSize: options.trainSize,
    validationSize: options.validSize,
    recordsPerFile: options.cifarRecords,
  });
  const { tensors, meta } = readCheckpoint(run.checkpointPath);
  const ctx = await createGpuContext();
  const engine = new Engine(ctx, { seed: options.seed });
  try {
    const search = buildSearch(engine, options, dataset);
    restoreSearch(search, tensors, meta);
    const found: { arc: string; accuracy: number }[] = [];
    const best = await search.derive(samples, (d, i) => {
      found.push({ arc: d.arc, accuracy: d.accuracy });
      if (!opts.quiet) console.log(`${String(i + 1).padStart(4)}  acc ${d.accuracy.toFixed(4)}  ${d.arc}`);
    });
    run.log({
      type: 'derive',
      time: Date.now(),
      epoch: meta.progress.epoch,
      samples: found,
      best: { arc: best.arc, accuracy: best.accuracy },
    });
    run.writeText('best_arc.txt', `${best.arc}\n`);
    run.writeText('best_arc.svg', drawArchitectureSvg(parseArchitecture(config.space, best.arc)));
    console.log(`best of ${samples} (validation accuracy ${best.accuracy.toFixed(4)} on one batch): ${best.arc}`);
    console.log(`written: ${run.file('best_arc.txt')}, ${run.file('best_arc.svg')}`);
  } finally {
    engine.destroy();
    ctx.destroy();
  }
}
