/**
 * A small built-in English-like corpus for quick runs and tests, generated from a toy grammar (no download, no
 * package), in the Penn Treebank file format: one sentence per line, words separated by spaces, `<eos>` added by
 * the reader. The grammar has enough structure (determiners before nouns, verbs after subjects, prepositional
 * phrases) that a language model learns something within a few hundred windows. On the test text, a uniform guess
 * has perplexity 47 (the vocabulary size), a unigram model 34, a bigram model about 10 (counted on 20 000
 * training sentences).
 */
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { buildVocabulary, EOS, encodeTokens, type PtbCorpus, tokenizePtb } from '../data/ptb.js';

const LEXICON = {
  det: ['the', 'a', 'every', 'some'],
  adj: ['small', 'big', 'old', 'young', 'red', 'quiet', 'happy'],
  noun: ['cat', 'dog', 'bird', 'man', 'woman', 'child', 'house', 'tree', 'garden', 'river', 'ball', 'book'],
  name: ['john', 'mary', 'alice', 'bob'],
  transitive: ['sees', 'likes', 'chases', 'finds', 'takes', 'watches'],
  intransitive: ['sleeps', 'runs', 'waits', 'sings'],
  prep: ['on', 'under', 'near', 'with', 'behind'],
  adverb: ['quickly', 'slowly', 'again', 'today'],
} as const;

/** Every word the grammar can produce, plus `<eos>`. */
export const BUILTIN_WORDS: readonly string[] = [...Object.values(LEXICON).flat(), EOS];

function sentence(rng: Rng): string[] {
  const pick = (list: readonly string[]) => rng.pick(list);
  const nounPhrase = (): string[] => {
    if (rng.next() < 0.2) return [pick(LEXICON.name)];
    return rng.next() < 0.4 ? [pick(LEXICON.det), pick(LEXICON.adj), pick(LEXICON.noun)] : [pick(LEXICON.det), pick(LEXICON.noun)];
  };
  const words = nounPhrase();
  if (rng.next() < 0.6) words.push(pick(LEXICON.transitive), ...nounPhrase());
  else words.push(pick(LEXICON.intransitive));
  if (rng.next() < 0.4) words.push(pick(LEXICON.prep), ...nounPhrase());
  if (rng.next() < 0.2) words.push(pick(LEXICON.adverb));
  return words;
}

export interface BuiltinTextOptions {
  /** Sentences in the training text (valid and test get a tenth each, at least 20). */
  readonly sentences?: number;
  readonly seed?: number;
}

/** The three texts in PTB file format (a leading space and one sentence per line, as the real files). */
export function builtinTexts(options: BuiltinTextOptions = {}): { train: string; valid: string; test: string } {
  const n = options.sentences ?? 2000;
  if (!Number.isInteger(n) || n < 1) throw new Error(`builtinTexts: sentences = ${n}; it must be a positive integer`);
  const rng = new Rng(options.seed ?? 1);
  const text = (count: number) => Array.from({ length: count }, () => ` ${sentence(rng).join(' ')} \n`).join('');
  const small = Math.max(20, Math.round(n / 10));
  return { train: text(n), valid: text(small), test: text(small) };
}

/**
 * The built-in corpus, encoded: the vocabulary is every word the grammar can produce (sorted, as the PTB reader
 * sorts), so valid and test always encode even when a rare word is missing from the training text.
 */
export function builtinCorpus(options: BuiltinTextOptions = {}): PtbCorpus {
  const texts = builtinTexts(options);
  const vocabulary = buildVocabulary(BUILTIN_WORDS);
  const encode = (text: string, name: string) => encodeTokens(tokenizePtb(text, name), vocabulary, name);
  return {
    vocabulary,
    train: encode(texts.train, 'builtin train'),
    valid: encode(texts.valid, 'builtin valid'),
    test: encode(texts.test, 'builtin test'),
  };
}
