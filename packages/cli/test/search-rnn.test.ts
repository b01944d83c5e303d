import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLog, parseRnnArchitecture } from '@enas-webgpu/enas';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEnas } from './run-enas.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'enas-rnn-'));
});

const TINY = ['--space', 'rnn', '--train-tokens', '2000', '--controller-samples', '10', '--derive-samples', '3', '--quiet'];

const comparable = (text: string) =>
  parseLog(text)
    .filter((r) => r.type === 'rnn-window' || r.type === 'rnn-epoch')
    .map((r) => {
      const { time: _t, ...rest } = r as unknown as Record<string, unknown>;
      delete rest.seconds;
      return rest;
    });

describe('enas search --space rnn (built-in text)', () => {
  it('writes a run directory with a valid cell; a run extended by --resume logs what a longer run logs', async () => {
    const full = join(root, 'full');
    const r = await runEnas(['search', ...TINY, '--epochs', '2', '--out', full], {}, 300_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/best cell \(validation perplexity [0-9.]+ on one batch\): [0-9 ]+/);
    parseRnnArchitecture(readFileSync(join(full, 'best_arc.txt'), 'utf8'));
    expect(existsSync(join(full, 'best_arc.svg'))).toBe(true);
    expect(parseLog(readFileSync(join(full, 'log.jsonl'), 'utf8')).filter((x) => x.type === 'rnn-epoch')).toHaveLength(2);

    const part = join(root, 'part');
    expect((await runEnas(['search', ...TINY, '--epochs', '1', '--out', part], {}, 300_000)).code).toBe(0);
    expect((await runEnas(['search', '--resume', part, '--epochs', '2', '--quiet'], {}, 300_000)).code).toBe(0);
    expect(comparable(readFileSync(join(part, 'log.jsonl'), 'utf8'))).toEqual(comparable(readFileSync(join(full, 'log.jsonl'), 'utf8')));
  });

  it('a directory without the PTB files: one message naming the file, exit 2, nothing written', async () => {
    const dir = mkdtempSync(join(root, 'ptb-'));
    writeFileSync(join(dir, 'ptb.train.txt'), ' a b c\n');
    const r = await runEnas(['search', '--space', 'rnn', '--data', dir, '--out', join(root, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ptb\.valid\.txt/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('controller samples that do not fill whole updates', async () => {
    const r = await runEnas(['search', '--space', 'rnn', '--controller-samples', '15', '--aggregate', '10', '--out', join(root, 'never2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--controller-samples 15 must be a multiple of --aggregate 10/);
  });
});
