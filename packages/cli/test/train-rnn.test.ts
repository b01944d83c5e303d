import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinCorpus, parseLog } from '@enas-webgpu/enas';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEnas } from './run-enas.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'enas-rnn-train-'));
});

const CELL = '0 1 1 2 2 0 1 3';
const TINY = ['train', '--space', 'rnn', '--arc', CELL, '--hidden', '16', '--batch-size', '8', '--train-tokens', '3000'];
const QUICK = [...TINY, '--eval-tokens', '600', '--quiet'];

const comparable = (text: string) =>
  parseLog(text)
    .filter((r) => r.type === 'rnn-window' || r.type === 'rnn-train-epoch' || r.type === 'rnn-test')
    .map((r) => {
      const { time: _t, ...rest } = r as unknown as Record<string, unknown>;
      delete rest.seconds;
      return rest;
    });

describe('enas train --space rnn (built-in text)', () => {
  it('trains the cell, logs epochs and the test perplexity; an interrupted run resumed mid-epoch logs the same', async () => {
    const full = join(root, 'full');
    const r = await runEnas([...QUICK, '--epochs', '2', '--out', full], {}, 300_000);
    expect(r.code).toBe(0);
    // 600 test tokens predict 599 next words.
    const m = /test perplexity ([0-9.]+) \(599 tokens\) after 2 epochs/.exec(r.stdout);
    expect(m).not.toBeNull();
    // A model that learned nothing scores about the vocabulary size; two short epochs already do far better.
    const vocabulary = builtinCorpus().vocabulary.words.length;
    expect(Number(m?.[1])).toBeLessThan(vocabulary / 2);
    const log = parseLog(readFileSync(join(full, 'log.jsonl'), 'utf8'));
    const epochs = log.filter((x) => x.type === 'rnn-train-epoch');
    expect(epochs).toHaveLength(2);
    expect(readFileSync(join(full, 'arc.txt'), 'utf8').trim()).toBe(CELL);

    const part = join(root, 'part');
    const stopped = await runEnas([...QUICK, '--epochs', '2', '--out', part, '--stop-after-steps', '3'], {}, 300_000);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/continue with: enas train --resume/);
    expect((await runEnas(['train', '--resume', part, '--quiet'], {}, 300_000)).code).toBe(0);
    expect(comparable(readFileSync(join(part, 'log.jsonl'), 'utf8'))).toEqual(comparable(readFileSync(join(full, 'log.jsonl'), 'utf8')));

    // enas eval reads the last checkpoint back: the same test perplexity.
    const e = await runEnas(['eval', full, '--quiet'], {}, 300_000);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain(`test perplexity ${m?.[1]} (599 tokens) after 2 epochs`);
  });

  it('refuses a malformed cell, CNN-only options and a CNN preset, each with one message', async () => {
    const bad = await runEnas([...TINY, '--arc', '0 1 7', '--out', join(root, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--arc/);
    const cnn = await runEnas([...TINY, '--filters', '8', '--out', join(root, 'never')]);
    expect(cnn.code).toBe(2);
    expect(cnn.stderr).toMatch(/--filters: CNN training options; --space rnn trains on text/);
    const preset = await runEnas([...TINY, '--preset', 'tiny', '--out', join(root, 'never')]);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/unknown preset 'tiny' for --space rnn; choose one of paper-rnn-final, tiny-rnn/);
  });
});
