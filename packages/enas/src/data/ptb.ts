/**
 * Penn Treebank, Mikolov's 10k-word language-modelling version (`ptb.train.txt`, `ptb.valid.txt`, `ptb.test.txt`):
 * one sentence per line, words separated by spaces, rare words already `<unk>`. As in every PTB reader, each line
 * ends with an `<eos>` token; the training text has 929 589 tokens that way and 10 000 word types.
 *
 * Word ids follow google-research `enas_lm/src/process.py`: the training vocabulary sorted (by code point), so ids
 * match the reference's `ptb.pkl`. Valid and test words must all occur in training (true of the real files); an
 * unknown word is an error, as it is a KeyError in the reference.
 */
import { type DataSource, readDatasetFile } from './data-source.js';

export const EOS = '<eos>';
export const PTB_FILES = { train: 'ptb.train.txt', valid: 'ptb.valid.txt', test: 'ptb.test.txt' } as const;

export interface Vocabulary {
  /** words[id] */
  readonly words: readonly string[];
  readonly ids: ReadonlyMap<string, number>;
}

export interface PtbCorpus {
  readonly vocabulary: Vocabulary;
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

/** Words of each line followed by `<eos>`; lines are split on \n (a final newline does not start a new line). */
export function tokenizePtb(text: string, fileName: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const tokens: string[] = [];
  let words = 0;
  for (const line of lines) {
    for (const word of line.split(/\s+/)) {
      if (word.length > 0) {
        tokens.push(word);
        words++;
      }
    }
    tokens.push(EOS);
  }
  if (words === 0) {
    throw new Error(`PTB ${fileName}: no words (${lines.length} lines); expected one sentence per line, words separated by spaces`);
  }
  return tokens;
}

/** The sorted set of distinct tokens (including `<eos>`). */
export function buildVocabulary(tokens: readonly string[]): Vocabulary {
  const words = [...new Set(tokens)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { words, ids: new Map(words.map((w, i) => [w, i])) };
}

export function encodeTokens(tokens: readonly string[], vocabulary: Vocabulary, fileName: string): Int32Array {
  const ids = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const id = vocabulary.ids.get(tokens[i]!);
    if (id === undefined) {
      const line = tokens.slice(0, i).filter((t) => t === EOS).length + 1;
      throw new Error(
        `PTB ${fileName}: line ${line}, token ${i + 1}: ${JSON.stringify(tokens[i])} is not in the training vocabulary ` +
          `(${vocabulary.words.length} words); valid and test text must use training words only (rare words are <unk> in the standard files)`,
      );
    }
    ids[i] = id;
  }
  return ids;
}

/** Builds the corpus from the three texts: vocabulary from train, then ids for each split. */
export function ptbFromText(texts: { train: string; valid: string; test: string }): PtbCorpus {
  const train = tokenizePtb(texts.train, PTB_FILES.train);
  const vocabulary = buildVocabulary(train);
  return {
    vocabulary,
    train: encodeTokens(train, vocabulary, PTB_FILES.train),
    valid: encodeTokens(tokenizePtb(texts.valid, PTB_FILES.valid), vocabulary, PTB_FILES.valid),
    test: encodeTokens(tokenizePtb(texts.test, PTB_FILES.test), vocabulary, PTB_FILES.test),
  };
}

/** Reads `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` from a source. */
export async function loadPtb(source: DataSource): Promise<PtbCorpus> {
  const expected = `the Penn Treebank LM text (${Object.values(PTB_FILES).join(', ')})`;
  const text = async (name: string) => decodeText(await readDatasetFile(source, 'PTB', name, expected), name);
  return ptbFromText({ train: await text(PTB_FILES.train), valid: await text(PTB_FILES.valid), test: await text(PTB_FILES.test) });
}

function decodeText(bytes: Uint8Array, fileName: string): string {
  if (bytes.length === 0) throw new Error(`PTB ${fileName}: the file is empty`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`PTB ${fileName}: not UTF-8 text; expected the plain-text Penn Treebank files`);
  }
  // NUL never occurs in text; finding one means a binary file was given by mistake.
  const nul = text.indexOf('\0');
  if (nul >= 0) throw new Error(`PTB ${fileName}: byte ${nul} is NUL; this looks like a binary file, not PTB text`);
  return text.replaceAll('\r\n', '\n');
}
