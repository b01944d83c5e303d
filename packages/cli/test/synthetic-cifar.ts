/**
 * Writes a CIFAR-10 directory in the real binary format (label byte + 3072 pixel bytes per record, five training
 * batches and a test batch) with `records` images per file, whose classes are learnable: each class brightens one
 * colour plane in one region.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeSyntheticCifar(dir: string, records: number, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const files = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  for (const name of files) {
    const bytes = new Uint8Array(records * 3073);
    for (let r = 0; r < records; r++) {
      const label = Math.floor(rand() * 10);
      const base = r * 3073;
      bytes[base] = label;
      for (let p = 0; p < 3072; p++) {
        const plane = Math.floor(p / 1024);
        const row = Math.floor((p % 1024) / 32);
        const hot = plane === label % 3 && Math.floor(row / 11) === Math.floor(label / 3) % 3;
        bytes[base + 1 + p] = Math.min(255, Math.floor(rand() * 120) + (hot ? 120 : 0));
      }
    }
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}
