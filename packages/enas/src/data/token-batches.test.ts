import { describe, expect, it } from 'vitest';
import { batchifyTokens, bpttWindow, bpttWindowCount } from './token-batches.js';

const stream = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('token batches', () => {
  it('reshapes the stream into contiguous rows, dropping the tail', () => {
    const m = batchifyTokens(stream(23), 4);
    expect([m.batchSize, m.batchLength]).toEqual([4, 5]);
    expect([...m.data]).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('cuts BPTT windows with next-token targets, shortened at the row end', () => {
    const m = batchifyTokens(stream(23), 4); // rows 0-4, 5-9, 10-14, 15-19
    const w = bpttWindow(m, 1, 2);
    expect(w.steps).toBe(2);
    expect([...w.x]).toEqual([1, 2, 6, 7, 11, 12, 16, 17]);
    expect([...w.y]).toEqual([2, 3, 7, 8, 12, 13, 17, 18]);
    const tail = bpttWindow(m, 3, 35);
    expect(tail.steps).toBe(1);
    expect([...tail.x]).toEqual([3, 8, 13, 18]);
    expect([...tail.y]).toEqual([4, 9, 14, 19]);
    expect(bpttWindowCount(m, 2)).toBe(2);
    expect(bpttWindowCount(batchifyTokens(stream(929_589), 64), 35)).toBe(414);
  });

  it('rejects batches that cannot hold an input and a target, and bad windows', () => {
    expect(() => batchifyTokens(stream(7), 4)).toThrow(
      'batchifyTokens: 7 tokens give rows of 1 for batch size 4; a row needs at least 2 tokens (an input and its target)',
    );
    expect(() => batchifyTokens(stream(7), 0)).toThrow('batch size 0 must be a positive integer');
    const m = batchifyTokens(stream(10), 2);
    expect(() => bpttWindow(m, 4, 1)).toThrow('bpttWindow: start 4 must be an integer in 0..3 (rows hold 5 tokens)');
    expect(() => bpttWindow(m, 0, 0)).toThrow('steps 0 must be a positive integer');
  });
});
