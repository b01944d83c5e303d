import { describe, expect, it } from 'vitest';
import { parseLog, parseRunConfig } from './records.js';

describe('run records', () => {
  it('parses log lines, skips a truncated last line, and names a corrupt earlier one', () => {
    const good = '{"type":"child","time":1,"epoch":0,"step":0,"arc":"x","lr":0.05,"loss":2.3,"accuracy":0.1}';
    expect(parseLog(`${good}\n${good}\n{"type":"ch`)).toHaveLength(2);
    expect(() => parseLog(`${good}\n{oops\n${good}\n`)).toThrow(/line 2 is not valid JSON/);
  });

  it('checks the config format version and space', () => {
    expect(() => parseRunConfig('{"format":99,"space":"micro"}')).toThrow(/format 99/);
    expect(() => parseRunConfig('{"format":1,"space":"huge"}')).toThrow(/unknown space 'huge'/);
    expect(() => parseRunConfig('not json')).toThrow(/not valid JSON/);
  });
});
