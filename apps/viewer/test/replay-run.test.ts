import { readFileSync } from 'node:fs';
import { parseMicroArchitecture } from '@enas-webgpu/enas';
import { describe, expect, it } from 'vitest';
import { describeRun, parseReplayFiles, runArchitecture } from '../src/replay/replay-run.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/tiny-run/${name}`, import.meta.url), 'utf8');

describe('replay of a run directory (the committed tiny MNIST run)', () => {
  const run = parseReplayFiles(fixture('config.json'), fixture('log.jsonl'));

  it('splits the log into curves by record type', () => {
    const lines = fixture('log.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    const count = (type: string) => lines.filter((l) => l.type === type).length;
    expect(run.child).toHaveLength(count('child'));
    expect(run.controller).toHaveLength(count('controller'));
    expect(run.epochs).toHaveLength(count('epoch'));
    expect(run.derives).toHaveLength(count('derive'));
    expect(run.otherRecords).toBe(count('checkpoint'));
    expect(run.child.length).toBeGreaterThan(20);
    expect(run.child.map((r) => r.step)).toEqual(run.child.map((_, i) => i));
    expect(run.derives.map((d) => d.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(describeRun(run)).toMatch(/^search · micro space · preset tiny · mnist · seed 3 · 60 child steps/);
  });

  it('smooths the child loss into a trend that starts at the first loss and stays within the range', () => {
    const losses = run.child.map((r) => r.loss);
    expect(run.childLossTrend).toHaveLength(losses.length);
    expect(run.childLossTrend[0]).toBe(losses[0]);
    for (const t of run.childLossTrend) {
      expect(t).toBeGreaterThanOrEqual(Math.min(...losses));
      expect(t).toBeLessThanOrEqual(Math.max(...losses));
    }
  });

  it('parses every logged architecture in the run space', () => {
    for (const r of run.child) expect(runArchitecture(run, r.arc)).toEqual(parseMicroArchitecture(r.arc, { nodes: 3 }));
    for (const d of run.derives) expect(runArchitecture(run, d.best.arc)).toEqual(parseMicroArchitecture(d.best.arc, { nodes: 3 }));
  });

  it('names the file when a file is not what it should be', () => {
    expect(() => parseReplayFiles('{"format":1,"space":"micro"', '', { config: 'a.json', log: 'b.jsonl' })).toThrow(
      /a.json: not valid JSON/,
    );
    expect(() => parseReplayFiles(fixture('config.json'), '{"type":"child"}\nnot json\n{}', { config: 'a.json', log: 'b.jsonl' })).toThrow(
      /b.jsonl: line 2 is not valid JSON/,
    );
  });
});
