import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLog } from '@enas-webgpu/enas';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEnas } from './run-enas.js';
import { writeSyntheticCifar } from './synthetic-cifar.js';

let root: string;
let cifar: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'enas-cli-'));
  cifar = writeSyntheticCifar(join(root, 'cifar'), 64);
});

/** A search small enough for a CPU in seconds: 3 cells on 32×32, 2 nodes, 4 filters. */
const TINY = [
  '--dataset',
  'cifar10',
  '--cifar-records',
  '64',
  '--valid-size',
  '32',
  '--layers',
  '1',
  '--nodes',
  '2',
  '--filters',
  '4',
  '--batch-size',
  '8',
  '--lstm-size',
  '16',
  '--child-steps',
  '3',
  '--controller-steps',
  '1',
  '--aggregate',
  '2',
  '--derive-every',
  '2',
  '--derive-samples',
  '3',
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

describe('enas search, derive and arch on synthetic CIFAR-10', () => {
  it('search writes the run directory; derive and arch show read it', async () => {
    const out = join(root, 'run-a');
    const r = await runEnas(['search', '--data', cifar, ...TINY, '--epochs', '2', '--out', out], {}, 300_000);
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/best architecture \(validation accuracy [0-9.]+ on one batch\): [0-9 ]+/);
    for (const f of ['config.json', 'log.jsonl', 'best_arc.txt', 'best_arc.svg', 'checkpoints/search.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.options.filters).toBe(4);
    expect(config.dataset.train).toBe(5 * 64 - 32);
    const log = parseLog(readFileSync(join(out, 'log.jsonl'), 'utf8'));
    expect(log.filter((x) => x.type === 'child')).toHaveLength(6);
    expect(log.filter((x) => x.type === 'controller')).toHaveLength(2);
    expect(log.filter((x) => x.type === 'epoch')).toHaveLength(2);
    expect(readFileSync(join(out, 'best_arc.svg'), 'utf8')).toMatch(/^<svg/);

    const d = await runEnas(['derive', out, '--samples', '3', '--quiet'], {}, 120_000);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/best of 3 \(validation accuracy/);

    const svg = join(root, 'cell.svg');
    const arc = readFileSync(join(out, 'best_arc.txt'), 'utf8').trim();
    const s = await runEnas(['arch', 'show', arc, '--space', 'micro', '-o', svg]);
    expect(s.code).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/<svg[\s\S]*<\/svg>/);
  });

  it('an interrupted run resumed with --resume logs exactly what an uninterrupted run logs', async () => {
    const full = join(root, 'run-full');
    const part = join(root, 'run-part');
    const args = ['search', '--data', cifar, ...TINY, '--epochs', '2', '--seed', '5'];
    expect((await runEnas([...args, '--out', full], {}, 300_000)).code).toBe(0);
    // Stop mid-epoch (after 4 child steps: epoch 1, step 1), as Ctrl-C does: checkpoint, exit 130.
    const stopped = await runEnas([...args, '--out', part, '--stop-after-steps', '4'], {}, 300_000);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/continue with: enas search --resume/);
    const resumed = await runEnas(['search', '--resume', part, '--quiet'], {}, 300_000);
    expect(resumed.code).toBe(0);
    expect(withoutTimes(readFileSync(join(part, 'log.jsonl'), 'utf8'))).toEqual(
      withoutTimes(readFileSync(join(full, 'log.jsonl'), 'utf8')),
    );
    expect(readFileSync(join(part, 'best_arc.txt'), 'utf8')).toBe(readFileSync(join(full, 'best_arc.txt'), 'utf8'));
  });
});

describe('bad input: one message, exit status 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['search', '--out', 'x', '--no-such-thing'], /unknown option '--no-such-thing'/],
    ['negative epochs', ['search', '--out', 'x', '--epochs', '-3'], /--epochs -3: must be >= 1/],
    ['an odd filter count', ['search', '--out', 'x', '--filters', '5'], /--filters 5: must be even/],
    ['no --out', ['search'], /--out RUN_DIR is required/],
    ['a missing data directory', ['search', '--out', 'x', '--data', '/no/such/dir'], /--data \/no\/such\/dir: no such directory/],
    [
      'an unknown preset',
      ['search', '--out', 'x', '--preset', 'huge'],
      /unknown preset 'huge'; choose one of paper-micro, paper-macro, tiny/,
    ],
    ['a malformed architecture', ['arch', 'validate', '0 2 9 0', '--space', 'micro'], /micro architecture: .*op/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const cwd = mkdtempSync(join(tmpdir(), 'enas-bad-'));
    const r = await runEnas(args, {}, 60_000, cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a truncated CIFAR-10 file names the file and the expected size', async () => {
    const dir = writeSyntheticCifar(join(root, 'truncated'), 64);
    writeFileSync(join(dir, 'data_batch_3.bin'), new Uint8Array(1000));
    const r = await runEnas(['search', '--data', dir, '--cifar-records', '64', '--out', join(root, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data_batch_3\.bin.*1000 bytes.*196672/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('a batch larger than the validation split', async () => {
    const r = await runEnas([
      'search',
      '--data',
      cifar,
      '--cifar-records',
      '64',
      '--valid-size',
      '32',
      '--batch-size',
      '64',
      '--out',
      join(root, 'never2'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-size 64 is larger than the 32 validation images/);
    expect(existsSync(join(root, 'never2'))).toBe(false);
  });

  it('an existing run directory without --resume', async () => {
    const out = mkdtempSync(join(root, 'existing-'));
    writeFileSync(join(out, 'log.jsonl'), '{"type":"child"}\n');
    const before = readFileSync(join(out, 'log.jsonl'), 'utf8');
    const r = await runEnas(['search', '--data', cifar, ...TINY, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists and is not empty; continue it with --resume/);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toBe(before);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT during a search writes a checkpoint and exits with status 130', async () => {
    const out = join(root, 'run-sigint');
    const { spawnEnas } = await import('./run-enas.js');
    const child = spawnEnas(['search', '--data', cifar, ...TINY, '--epochs', '50', '--out', out]);
    // Interrupt once the first child step is in the log.
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
    expect(existsSync(join(out, 'checkpoints', 'search.safetensors'))).toBe(true);
    expect(r.stdout).toMatch(/continue with: enas search --resume/);
  });
});
