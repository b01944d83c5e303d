/**
 * Search-step benchmark: what one ENAS search step costs on this adapter, micro and macro spaces, on synthetic
 * CIFAR-10-shaped data (3×32×32, 10 classes), so no dataset is needed. Prints a Markdown table, asserts nothing.
 *
 *   child step         a fresh architecture sampled on the GPU and read back, then one SGD step on one minibatch
 *                      (forward, backward, Nesterov update of the shared pool), pipelined as the search loop runs
 *                      them (each step's loss read once the next is submitted); ms per step (wall clock),
 *                      images/s, dispatches and submits
 *   recording          host ms per child step spent recording commands (Engine.recordingTime: beginStep to
 *                      submit, for the sampling step and the training step). On a GPU, recording time above the
 *                      kernels' time is time the GPU waits; on a CPU adapter both share the cores.
 *   controller update  `aggregate` architectures sampled, each scored on a validation batch, REINFORCE, Adam
 *
 * Peer: no engine runs ENAS in the same process. The figure to beat on the lent H200 is PyTorch eager running the
 * official micro search child (paper-micro: 6+2 cells, 20 filters, batch 160) at 49.2 ms per step
 * (shared/gpu/README.md); it is printed beside that row on a GPU.
 *
 *   npm run bench -w @enas-webgpu/cli -- [--spaces micro,macro] [--preset tiny|paper] [--steps N] [--warmup N]
 *                                        [--json PATH]
 *
 * Defaults: the tiny presets, 2 warm-up and 3 timed steps on a CPU adapter; the paper presets, 100 warm-up and 20
 * timed steps on a GPU. A long warm-up matters: a search's first hundred steps create bind groups for new
 * combinations of operation, position and arena offset (hundreds per step at first, a few per step after ~100
 * steps of the tiny micro search), and a steady-state figure must not include them.
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Engine } from '@enas-webgpu/autograd';
import type { ImageDataset, LabeledImages, PendingChildStep } from '@enas-webgpu/enas';
import { createGpuContext, type GpuContext, kernelCacheStats } from '@enas-webgpu/wgsl-kernels';
import { buildSearch } from '../src/search/build-search.js';
import { resolveSearchOptions, type SearchSpaceName } from '../src/search/presets.js';

const PYTORCH_H200_MS = 49.2;

interface SearchBenchRow {
  readonly space: string;
  readonly preset: string;
  readonly batch: number;
  readonly childMs: number;
  readonly imagesPerSecond: number;
  readonly recordingMs: number;
  readonly dispatches: number;
  readonly submits: number;
  /** Bind groups created per step: cache misses, which fall as the architectures seen so far repeat their bindings. */
  readonly bindGroups: number;
  readonly controllerMs: number;
  readonly note: string;
}

/** Random bytes in CIFAR-10's shape: what a step costs does not depend on the pixels. */
function syntheticImages(count: number, seed: number): LabeledImages {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  const pixels = new Uint8Array(count * 3 * 32 * 32).map(next);
  const labels = new Uint8Array(count).map(() => next() % 10);
  return { count, channels: 3, height: 32, width: 32, labels, pixels };
}

function syntheticCifar(train: number, valid: number): ImageDataset {
  return {
    name: 'synthetic CIFAR-10 shape',
    classes: Array.from({ length: 10 }, (_, i) => `class ${i}`),
    train: syntheticImages(train, 1),
    valid: syntheticImages(valid, 2),
    test: syntheticImages(valid, 3),
  };
}

async function benchSpace(ctx: GpuContext, space: SearchSpaceName, preset: string, steps: number, warmup: number): Promise<SearchBenchRow> {
  const o = resolveSearchOptions(preset, space, { controllerSteps: 1 });
  const engine = new Engine(ctx, { seed: o.seed });
  try {
    const search = buildSearch(engine, o, syntheticCifar(o.batchSize * 4, o.batchSize * 2));
    // Warm-up: every pipeline a step can use compiles on first use, and bind groups are created for each new
    // (operation, position, arena offset) combination until the architectures seen cover them.
    for (let i = 0; i < warmup; i++) await search.childStep();
    await search.controllerStep();
    await ctx.sync();

    const recording = () => [...engine.recordingTime.values()].reduce((sum, t) => sum + t.ms, 0);
    const before = { ...ctx.stats, recording: recording(), bindGroups: kernelCacheStats(ctx).bindGroupsCreated };
    const t0 = performance.now();
    // As the search loop runs them: step n is submitted before step n − 1's loss is read (CnnSearch.startChildStep).
    let inFlight: PendingChildStep | undefined;
    for (let i = 0; i < steps; i++) {
      const next = await search.startChildStep();
      await inFlight?.record;
      inFlight = next;
    }
    await inFlight?.record;
    const childMs = (performance.now() - t0) / steps;
    const per = (after: number, start: number) => (after - start) / steps;
    const row = {
      childMs,
      recordingMs: per(recording(), before.recording),
      dispatches: per(ctx.stats.dispatches, before.dispatches),
      submits: per(ctx.stats.submits, before.submits),
      bindGroups: per(kernelCacheStats(ctx).bindGroupsCreated, before.bindGroups),
    };

    const t1 = performance.now();
    await search.controllerStep();
    const controllerMs = performance.now() - t1;
    const gpu = !ctx.adapter.isFallbackOrSoftware;
    return {
      space,
      preset,
      batch: o.batchSize,
      ...row,
      imagesPerSecond: (o.batchSize * 1000) / childMs,
      controllerMs,
      note:
        gpu && preset === 'paper-micro'
          ? `PyTorch eager, same child on the H200: ${PYTORCH_H200_MS} ms/step (ours/PyTorch ${(childMs / PYTORCH_H200_MS).toFixed(2)})`
          : `controller update = ${o.aggregate} sampled architectures`,
    };
  } finally {
    engine.destroy();
  }
}

/** BENCH_COMMIT where the machine has no git (the lent GPU), else the checkout's HEAD. */
function commit(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown (set BENCH_COMMIT)';
  }
}

function table(rows: readonly SearchBenchRow[]): string {
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3));
  const lines = [
    '| space (preset, batch) | child step ms | images/s | recording ms/step | dispatches/step | new bind groups/step | submits/step | controller update ms | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.space} (${r.preset}, ${r.batch}) | ${f(r.childMs)} | ${f(r.imagesPerSecond)} | ${f(r.recordingMs)} | ${f(r.dispatches)} | ` +
        `${f(r.bindGroups)} | ${f(r.submits)} | ${f(r.controllerMs)} | ${r.note} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      spaces: { type: 'string', default: 'micro,macro' },
      preset: { type: 'string' },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const spaces = (values.spaces as string).split(',') as SearchSpaceName[];
  for (const s of spaces) {
    if (s !== 'micro' && s !== 'macro') throw new Error(`--spaces: '${s}' is not micro or macro`);
  }
  const ctx = await createGpuContext();
  try {
    const software = ctx.adapter.isFallbackOrSoftware;
    const preset = values.preset ?? (software ? 'tiny' : 'paper');
    if (preset !== 'tiny' && preset !== 'paper') throw new Error(`--preset: '${preset}' is not tiny or paper`);
    const steps = Number(values.steps ?? (software ? 3 : 20));
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps ${values.steps}: give a positive integer`);
    const warmup = Number(values.warmup ?? (software ? 2 : 100));
    if (!Number.isInteger(warmup) || warmup < 1) throw new Error(`--warmup ${values.warmup}: give a positive integer`);
    const rows: SearchBenchRow[] = [];
    for (const space of spaces) {
      const name = preset === 'paper' ? `paper-${space}` : 'tiny';
      process.stderr.write(`${space} (${name}): ${warmup} warm-up steps, then ${steps} timed\n`);
      rows.push(await benchSpace(ctx, space, name, steps, warmup));
    }
    console.log(`date: ${new Date().toISOString()}`);
    console.log(`adapter: ${ctx.adapter.description}`);
    console.log(
      `commit: ${commit()}; node ${process.version}; synthetic CIFAR-10-shaped data; ${warmup} warm-up and ${steps} timed child steps each\n`,
    );
    console.log(table(rows));
    if (values.json)
      writeFileSync(
        values.json,
        `${JSON.stringify({ date: new Date().toISOString(), adapter: ctx.adapter.description, rows }, null, 2)}\n`,
      );
  } finally {
    ctx.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
