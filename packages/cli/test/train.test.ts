import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUBLISHED_MICRO_ARC, parseLog } from '@enas-webgpu/enas';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEnas } from './run-enas.js';
import { writeSyntheticCifar } from './synthetic-cifar.js';

let root: string;
let cifar: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'enas-train-'));
  cifar = writeSyntheticCifar(join(root, 'cifar'), 64);
});

/** The published micro arc, small enough for a CPU in seconds: 3 cells on 32×32, 4 filters, 96 images. */
const TINY = [
  '--dataset',
  'cifar10',
  '--cifar-records',
  '64',
  '--train-size',
  '96',
  '--layers',
  '1',
  '--filters',
  '4',
  '--batch-size',
  '16',
  '--eval-batch-size',
  '32',
  '--quiet',
];

const withoutTimes = (text: string) =>
  parseLog(text)
    .filter((r) => r.type !== 'checkpoint')
    .map((r) => {
      const { time: _t, ...rest } = r as unknown as Record<string, unknown>;
      if (r.type === 'epoch') {
        delete rest.seconds;
        delete rest.imagesPerSecond;
      }
      return rest;
    });

describe('enas train and eval on synthetic CIFAR-10', () => {
  it('train writes the run directory and evaluates on the test set each epoch; eval reads the checkpoint', async () => {
    const out = join(root, 'run-a');
    const r = await runEnas(['train', '--arc', PUBLISHED_MICRO_ARC, '--data', cifar, ...TINY, '--epochs', '2', '--out', out], {}, 300_000);
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test accuracy [0-9.]+ \(\d+\/64\) after 2 epochs/);
    for (const f of ['config.json', 'log.jsonl', 'arc.txt', 'arc.svg', 'checkpoints/train.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.command).toBe('train');
    expect(config.arc).toBe(PUBLISHED_MICRO_ARC);
    expect(config.options).toMatchObject({ preset: 'tiny', filters: 4, layers: 1, dropPathKeep: 0.8, auxHead: true });
    // All training images (no validation split): 96 of them, 6 steps per epoch.
    expect(config.dataset).toMatchObject({ train: 96, valid: 0, test: 64 });
    expect(readFileSync(join(out, 'arc.txt'), 'utf8').trim()).toBe(PUBLISHED_MICRO_ARC);
    const log = parseLog(readFileSync(join(out, 'log.jsonl'), 'utf8'));
    const steps = log.filter((x) => x.type === 'child');
    expect(steps).toHaveLength(12);
    expect(steps.every((s) => s.type === 'child' && Number.isFinite(s.loss) && Number.isFinite(s.auxLoss as number))).toBe(true);
    const evals = log.filter((x) => x.type === 'eval');
    expect(evals.map((e) => e.type === 'eval' && [e.epoch, e.split, e.count])).toEqual([
      [0, 'test', 64],
      [1, 'test', 64],
    ]);
    expect(log.filter((x) => x.type === 'epoch')).toHaveLength(2);

    const e = await runEnas(['eval', out, '--quiet'], {}, 120_000);
    expect(e.code).toBe(0);
    const last = evals[1] as { accuracy: number; correct: number };
    expect(e.stdout).toContain(`test accuracy ${last.accuracy.toFixed(4)} (${last.correct}/64) after 12 of 12 steps`);
  }, 600_000);

  it('an interrupted run resumed with --resume logs exactly what an uninterrupted run logs', async () => {
    const full = join(root, 'run-full');
    const part = join(root, 'run-part');
    // Without the aux head (its 768-channel conv is most of this tiny network's time); drop-path, dropout and the
    // augmentation are the random parts a resume must replay.
    const args = ['train', '--arc', PUBLISHED_MICRO_ARC, '--data', cifar, ...TINY, '--epochs', '2', '--seed', '5', '--no-aux'];
    expect((await runEnas([...args, '--out', full], {}, 300_000)).code).toBe(0);
    // Stop mid-epoch (after 4 of 6 steps), as Ctrl-C does: checkpoint, exit 130.
    const stopped = await runEnas([...args, '--out', part, '--stop-after-steps', '4'], {}, 300_000);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/continue with: enas train --resume/);
    // As if the process had then been killed hard one step later: a step logged past the checkpoint, and a line
    // torn in the middle. The resume redoes that step, so it moves those lines out of the log first.
    const log = join(part, 'log.jsonl');
    const lastStep = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"type":"child"'))
      .at(-1) as string;
    appendFileSync(log, `${lastStep.replace('"loss":', '"loss":1e9,"was":')}\n{"type":"child","epo`);
    const resumed = await runEnas(['train', '--resume', part], {}, 300_000);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/moved 2 log records written after that checkpoint to log-rewound\.jsonl/);
    expect(readFileSync(join(part, 'log-rewound.jsonl'), 'utf8')).toMatch(/"loss":1e9/);
    expect(withoutTimes(readFileSync(log, 'utf8'))).toEqual(withoutTimes(readFileSync(join(full, 'log.jsonl'), 'utf8')));
  }, 600_000);
});

describe('enas train: bad input, one message, exit status 2, nothing written', () => {
  const threeNodes = '1 0 1 4 2 2 1 3 2 1 3 4 1 4 1 1 1 3 2 0 1 2 3 4';
  const cases: [string, string[], RegExp][] = [
    ['no architecture', ['train', '--out', 'x'], /give the architecture to train: --arc "<arc string>" or --arc-file FILE/],
    ['both --arc and --arc-file', ['train', '--out', 'x', '--arc', '0 0 0 0', '--arc-file', 'a.txt'], /--arc or --arc-file, not both/],
    [
      'a malformed arc',
      ['train', '--out', 'x', '--arc', '0 2 9 0 0 0 0 0'],
      /--arc: micro architecture: token 3 of 8 .* is 9; node 2 may read 0\.\.1/,
    ],
    [
      'an arc whose cells do not have the preset’s node count',
      ['train', '--out', 'x', '--arc', threeNodes, '--preset', 'paper-micro-final'],
      /preset 'paper-micro-final' trains cells of 5 nodes \(--child_num_cells=5\), and the arc has 3 per cell/,
    ],
    [
      'a micro arc with the macro preset',
      ['train', '--out', 'x', '--arc', PUBLISHED_MICRO_ARC, '--preset', 'paper-macro-final'],
      /preset 'paper-macro-final' does not train the micro space; for a micro arc use paper-micro-final, tiny/,
    ],
    [
      'a macro arc of the wrong length for the preset',
      ['train', '--out', 'x', '--space', 'macro', '--arc', '0 1 1 2 0 1', '--preset', 'paper-macro-final'],
      /requires a 24-layer macro arc \(300 integers\), and the arc has 3 layers \(6 integers\)/,
    ],
    ['an unknown preset', ['train', '--out', 'x', '--arc', PUBLISHED_MICRO_ARC, '--preset', 'huge'], /unknown training preset 'huge'/],
    ['an odd filter count', ['train', '--out', 'x', '--arc', PUBLISHED_MICRO_ARC, '--filters', '5'], /--filters 5: must be even/],
    ['a missing arc file', ['train', '--out', 'x', '--arc-file', 'no-such.txt'], /--arc-file no-such.txt: ENOENT/],
    ['eval of a directory that is no run', ['eval', '.'], /eval \.: no config\.json there/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const cwd = mkdtempSync(join(tmpdir(), 'enas-bad-train-'));
    const r = await runEnas(args, {}, 60_000, cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a network the preset cannot build (a 2-layer macro arc has no pool layer for the aux head)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enas-bad-train-'));
    const args = ['train', '--space', 'macro', '--arc', '0 1 1', '--data', cifar, '--cifar-records', '64', '--out', join(dir, 'run')];
    const r = await runEnas(args, {}, 120_000, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a 2-layer network has none \(it needs L >= 3\)/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('enas train: Ctrl-C', () => {
  it('SIGINT during a training writes a checkpoint and exits with status 130; --resume continues it', async () => {
    const out = join(root, 'run-sigint');
    const { spawnEnas } = await import('./run-enas.js');
    const child = spawnEnas(['train', '--arc', PUBLISHED_MICRO_ARC, '--data', cifar, ...TINY, '--no-aux', '--epochs', '50', '--out', out]);
    // Interrupt once the first step is in the log.
    const deadline = Date.now() + 120_000;
    while (
      Date.now() < deadline &&
      !(existsSync(join(out, 'log.jsonl')) && readFileSync(join(out, 'log.jsonl'), 'utf8').includes('"child"'))
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.process.kill('SIGINT');
    const r = await child.done;
    expect(r.code).toBe(130);
    expect(existsSync(join(out, 'checkpoints', 'train.safetensors'))).toBe(true);
    expect(r.stdout).toMatch(/continue with: enas train --resume/);
    const changed = await runEnas(['train', '--resume', out, '--epochs', '60']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/--resume continues the run with its own options \(config\.json\); drop --epochs/);
  }, 300_000);
});
