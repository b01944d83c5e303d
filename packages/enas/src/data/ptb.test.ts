import { describe, expect, it } from 'vitest';
import { memoryDataSource } from './data-source.js';
import { buildVocabulary, EOS, encodeTokens, loadPtb, ptbFromText, tokenizePtb } from './ptb.js';

// The real files' layout: each line starts with a space and ends with " \n".
const TRAIN = ' the cat sat on the mat \n the dog ate <unk> \n N dogs \n';
const VALID = ' the dog sat \n';
const TEST = ' a cat <unk>';

describe('Penn Treebank', () => {
  it('tokenises lines with an <eos> at each line end', () => {
    expect(tokenizePtb(TRAIN, 'ptb.train.txt')).toEqual([
      'the',
      'cat',
      'sat',
      'on',
      'the',
      'mat',
      EOS,
      'the',
      'dog',
      'ate',
      '<unk>',
      EOS,
      'N',
      'dogs',
      EOS,
    ]);
    // No final newline, CR before LF, and a blank line all behave like the reference readers.
    expect(tokenizePtb(' a b\r\n\n c', 'x')).toEqual(['a', 'b', EOS, EOS, 'c', EOS]);
  });

  it('builds the sorted training vocabulary and ids, as enas_lm process.py does', () => {
    const corpus = ptbFromText({ train: TRAIN, valid: VALID, test: TEST.replace('a ', 'the ') });
    expect(corpus.vocabulary.words).toEqual(['<eos>', '<unk>', 'N', 'ate', 'cat', 'dog', 'dogs', 'mat', 'on', 'sat', 'the']);
    const id = (w: string) => corpus.vocabulary.ids.get(w)!;
    expect([...corpus.train.subarray(0, 7)]).toEqual(['the', 'cat', 'sat', 'on', 'the', 'mat', EOS].map(id));
    expect(corpus.train.length).toBe(15);
    expect([...corpus.valid]).toEqual(['the', 'dog', 'sat', EOS].map(id));
    expect([...corpus.test]).toEqual(['the', 'cat', '<unk>', EOS].map(id));
  });

  it('rejects a word that is not in the training vocabulary, naming file, line and token', () => {
    expect(() => ptbFromText({ train: TRAIN, valid: VALID, test: TEST })).toThrow(
      'PTB ptb.test.txt: line 1, token 1: "a" is not in the training vocabulary (11 words)',
    );
    const vocab = buildVocabulary(['x', EOS]);
    expect(() => encodeTokens(['x', EOS, 'x', 'y'], vocab, 'f')).toThrow('PTB f: line 2, token 4: "y"');
  });

  it('reads the three files from a source and reports missing, empty, binary and non-UTF-8 files', async () => {
    const files = { 'ptb.train.txt': TRAIN, 'ptb.valid.txt': VALID, 'ptb.test.txt': ' the cat \n' };
    const corpus = await loadPtb(memoryDataSource(files));
    expect(corpus.vocabulary.words).toHaveLength(11);
    expect(corpus.test.length).toBe(3);
    const { 'ptb.valid.txt': _, ...noValid } = files;
    await expect(loadPtb(memoryDataSource(noValid, '/data/ptb'))).rejects.toThrow(
      'PTB: ptb.valid.txt is missing from /data/ptb; expected the Penn Treebank LM text (ptb.train.txt, ptb.valid.txt, ptb.test.txt)',
    );
    await expect(loadPtb(memoryDataSource({ ...files, 'ptb.train.txt': '' }))).rejects.toThrow('PTB ptb.train.txt: the file is empty');
    await expect(loadPtb(memoryDataSource({ ...files, 'ptb.train.txt': ' \n \n' }))).rejects.toThrow(
      'PTB ptb.train.txt: no words (2 lines)',
    );
    await expect(loadPtb(memoryDataSource({ ...files, 'ptb.test.txt': new Uint8Array([0x20, 0x61, 0, 0x62]) }))).rejects.toThrow(
      'PTB ptb.test.txt: byte 2 is NUL; this looks like a binary file',
    );
    await expect(loadPtb(memoryDataSource({ ...files, 'ptb.test.txt': new Uint8Array([0x20, 0xff, 0xfe]) }))).rejects.toThrow(
      'PTB ptb.test.txt: not UTF-8 text',
    );
  });
});
