import { describe, expect, it } from 'vitest';
import { EOS } from '../data/ptb.js';
import { BUILTIN_WORDS, builtinCorpus, builtinTexts } from './builtin-text.js';

describe('built-in text', () => {
  it('is PTB-formatted, deterministic per seed, and encodes with the grammar vocabulary', () => {
    const a = builtinTexts({ sentences: 50, seed: 3 });
    expect(builtinTexts({ sentences: 50, seed: 3 })).toEqual(a);
    expect(builtinTexts({ sentences: 50, seed: 4 }).train).not.toBe(a.train);
    const lines = a.train.split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toMatch(/^ [a-z]+( [a-z]+)+ $/);
    const c = builtinCorpus({ sentences: 50, seed: 3 });
    expect(c.vocabulary.words).toHaveLength(new Set(BUILTIN_WORDS).size);
    expect(c.vocabulary.words).toContain(EOS);
    const eos = c.vocabulary.ids.get(EOS) as number;
    expect(c.train.filter((id) => id === eos)).toHaveLength(50);
    expect(c.valid.filter((id) => id === eos)).toHaveLength(20);
    expect(() => builtinTexts({ sentences: 0 })).toThrow(/positive integer/);
  });
});
