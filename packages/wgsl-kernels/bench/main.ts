/**
 * The kernel benchmark: our WGSL beside tfjs-backend-webgpu on the SAME GPUDevice, in one process. Prints a
 * Markdown table (stdout; progress on stderr) and asserts nothing: speed is measured here, never in tests.
 *
 *   npm run bench -w @enas-webgpu/wgsl-kernels -- [options]        (node --import tsx bench/main.ts)
 *
 *   --max-size N      largest square matmul (default 1024 on a CPU adapter, about a minute on lavapipe; 4096 else)
 *   --sizes a,b,...   exact matmul sizes instead (overrides --max-size)
 *   --only list       sections to run: matmul,bandwidth,overhead,conv,batchnorm (default all)
 *   --conv-batch N    batch of the conv and batch-norm rows (default 160, the ENAS search batch; 8 on a CPU adapter)
 *   --target S        seconds of measured work per cell after warm-up (default 1; 0.5 on a CPU adapter)
 *   --timing wall     wall clock even when the adapter has timestamp-query
 *   --no-tfjs         our rows only
 *   --json PATH       also write the rows and the run's facts as JSON
 *
 * Bundles to one file for a machine with only node + dawn.node (see BENCHMARKS.md).
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createGpuContext } from '../src/device/context.js';
import { bandwidthRows } from './bandwidth-rows.js';
import { batchNormRows } from './batchnorm-rows.js';
import { convRows } from './conv-rows.js';
import type { BenchEnv } from './env.js';
import { matmulRows } from './matmul-rows.js';
import { overheadRows } from './overhead-rows.js';
import { type BenchRow, markdownTable } from './table.js';
import { loadTfjsOnDevice, type TfjsPeer } from './tfjs-peer.js';
import { Timer } from './timing.js';

const SECTIONS = ['matmul', 'bandwidth', 'overhead', 'conv', 'batchnorm'] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  maxSize?: number;
  sizes?: number[];
  only: Section[];
  convBatch?: number;
  target?: number;
  timing: 'auto' | 'wall-clock';
  tfjs: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [...SECTIONS], timing: 'auto', tfjs: true };
  const positive = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`bench: ${flag} needs a positive number, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = () => argv[++i];
    if (flag === '--max-size') o.maxSize = positive(flag, value());
    else if (flag === '--sizes') o.sizes = (value() ?? '').split(',').map((s) => positive(flag, s));
    else if (flag === '--only') {
      const wanted = (value() ?? '').split(',');
      for (const w of wanted)
        if (!SECTIONS.includes(w as Section)) throw new Error(`bench: unknown section '${w}' (${SECTIONS.join(', ')})`);
      o.only = wanted as Section[];
    } else if (flag === '--conv-batch') o.convBatch = positive(flag, value());
    else if (flag === '--target') o.target = positive(flag, value());
    else if (flag === '--timing') o.timing = value() === 'wall' ? 'wall-clock' : 'auto';
    else if (flag === '--no-tfjs') o.tfjs = false;
    else if (flag === '--json') o.json = value();
    else if (flag === '--help' || flag === '-h') {
      console.log(
        'options: --max-size N --sizes a,b --only matmul,bandwidth,overhead,conv,batchnorm --conv-batch N --target S --timing wall --no-tfjs --json PATH',
      );
      process.exit(0);
    } else throw new Error(`bench: unknown option '${flag}' (try --help)`);
  }
  return o;
}

function commit(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    const hash = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty ? `${hash} (uncommitted changes)` : hash;
  } catch {
    return 'unknown (no git here; set BENCH_COMMIT)';
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const ctx = await createGpuContext();
  const software = ctx.adapter.isFallbackOrSoftware;
  const timer = new Timer(ctx, options.timing);
  let peer: TfjsPeer | undefined;
  if (options.tfjs) {
    try {
      peer = await loadTfjsOnDevice(ctx);
    } catch (error) {
      log(`tfjs unavailable, our rows only: ${(error as Error).message}`);
    }
  }
  const env: BenchEnv = { ctx, timer, peer, targetSeconds: options.target ?? (software ? 0.5 : 1), software, log };
  const maxSize = options.maxSize ?? (software ? 1024 : 4096);
  const sizes = options.sizes ?? [256, 512, 1024, 2048, 4096].filter((n) => n <= maxSize);
  const convBatch = options.convBatch ?? (software ? 8 : 160);

  const facts = {
    date: new Date().toISOString(),
    adapter: ctx.describe(),
    commit: commit(),
    node: process.version,
    tfjs: peer ? `@tensorflow/tfjs-backend-webgpu ${peer.version} on the same GPUDevice` : 'not loaded',
    timing:
      timer.method === 'gpu-timestamps'
        ? 'GPU timestamps (an empty pass before and after the measured work, same queue), median of 3 samples after warm-up'
        : 'wall clock to onSubmittedWorkDone, median of 3 samples after warm-up',
    sizes,
    convBatch,
  };
  log(`on ${facts.adapter}`);

  const rows: BenchRow[] = [];
  const started = performance.now();
  try {
    if (options.only.includes('matmul')) rows.push(...(await matmulRows(env, sizes)));
    if (options.only.includes('bandwidth')) rows.push(...(await bandwidthRows(env)));
    if (options.only.includes('overhead')) rows.push(...(await overheadRows(env)));
    if (options.only.includes('conv')) rows.push(...(await convRows(env, convBatch)));
    if (options.only.includes('batchnorm')) rows.push(...(await batchNormRows(env, convBatch)));
  } finally {
    peer?.dispose();
    timer.destroy();
    ctx.destroy();
  }
  const seconds = (performance.now() - started) / 1000;

  console.log(`date: ${facts.date}`);
  console.log(`adapter: ${facts.adapter}`);
  console.log(`commit: ${facts.commit}; node ${facts.node}; peer: ${facts.tfjs}`);
  console.log(`timing: ${facts.timing}; ${seconds.toFixed(0)} s in all`);
  console.log('ratio ours/tfjs: above 1 is ours faster for GFLOP/s and GB/s, below 1 is ours faster for µs and ms\n');
  console.log(markdownTable(rows));
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ ...facts, seconds, rows }, null, 1)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
