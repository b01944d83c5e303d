import { describe, expect, it } from 'vitest';
import { CIFAR10_RECORD_BYTES, loadCifar10, parseCifar10Batch } from './cifar10.js';
import { memoryDataSource } from './data-source.js';

/** Pixel value of record r, channel c, row y, column x in the synthetic files: distinct per plane and position. */
const pixel = (file: number, r: number, c: number, y: number, x: number) => (file * 31 + r * 7 + c * 50 + y * 3 + x) % 256;

function syntheticBatch(file: number, records: number): Uint8Array {
  const bytes = new Uint8Array(records * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    bytes[at] = (file + r) % 10;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) bytes[at + 1 + c * 1024 + y * 32 + x] = pixel(file, r, c, y, x);
  }
  return bytes;
}

function syntheticSource(records: number, omit?: string) {
  const files: Record<string, Uint8Array> = {};
  for (let f = 1; f <= 5; f++) files[`data_batch_${f}.bin`] = syntheticBatch(f, records);
  files['test_batch.bin'] = syntheticBatch(0, records);
  if (omit) delete files[omit];
  return memoryDataSource(files, '/data/cifar');
}

describe('CIFAR-10 binary batches', () => {
  it('parses labels and R, G, B planes into CHW images', () => {
    const images = parseCifar10Batch(syntheticBatch(2, 3), 'data_batch_2.bin', 3);
    expect(images).toMatchObject({ count: 3, channels: 3, height: 32, width: 32 });
    expect([...images.labels]).toEqual([2, 3, 4]);
    expect(images.pixels.length).toBe(3 * 3072);
    for (const [r, c, y, x] of [
      [0, 0, 0, 0],
      [1, 1, 5, 31],
      [2, 2, 31, 7],
    ] as const) {
      expect(images.pixels[r * 3072 + c * 1024 + y * 32 + x]).toBe(pixel(2, r, c, y, x));
    }
  });

  it('rejects a truncated or oversized file with its name and the expected size', () => {
    const bytes = syntheticBatch(1, 2);
    expect(() => parseCifar10Batch(bytes.subarray(0, bytes.length - 1), 'data_batch_1.bin', 2)).toThrow(
      'CIFAR-10 data_batch_1.bin: 6145 bytes, expected 6146 (2 records × 3073 bytes: 1 label + 3072 pixels); ' +
        'the file is truncated or not a CIFAR-10 binary batch (cifar-10-batches-bin)',
    );
    expect(() => parseCifar10Batch(new Uint8Array(30_730_001), 'test_batch.bin')).toThrow(
      'CIFAR-10 test_batch.bin: 30730001 bytes, expected 30730000 (10000 records × 3073 bytes',
    );
    expect(() => parseCifar10Batch(new Uint8Array(30_730_001), 'test_batch.bin')).toThrow('the file is too long');
  });

  it('rejects a label outside 0..9', () => {
    const bytes = syntheticBatch(1, 2);
    bytes[CIFAR10_RECORD_BYTES] = 10;
    expect(() => parseCifar10Batch(bytes, 'data_batch_1.bin', 2)).toThrow(
      'CIFAR-10 data_batch_1.bin: record 1 has label 10; labels are 0..9',
    );
  });

  it('loads all files and holds out the last training images as validation', async () => {
    const data = await loadCifar10(syntheticSource(4), { recordsPerFile: 4, validationSize: 3 });
    expect(data.classes[3]).toBe('cat');
    expect(data.train.count).toBe(17);
    expect(data.valid!.count).toBe(3);
    expect(data.test.count).toBe(4);
    // Training image 4k + r is record r of data_batch_(k+1); the validation images are the last 3 of data_batch_5.
    expect(data.train.pixels[(4 * 2 + 1) * 3072 + 1024]).toBe(pixel(3, 1, 1, 0, 0));
    expect([...data.valid!.labels]).toEqual([(5 + 1) % 10, (5 + 2) % 10, (5 + 3) % 10]);
    expect(data.valid!.pixels[2 * 3072 + 2 * 1024 + 33]).toBe(pixel(5, 3, 2, 1, 1));
    expect(data.test.pixels[3 * 3072]).toBe(pixel(0, 3, 0, 0, 0));
    const all = await loadCifar10(syntheticSource(4), { recordsPerFile: 4, validationSize: 0 });
    expect(all.train.count).toBe(20);
    expect(all.valid).toBeNull();
  });

  it('names a missing or wrong-sized file and the source', async () => {
    await expect(loadCifar10(syntheticSource(4, 'data_batch_3.bin'), { recordsPerFile: 4 })).rejects.toThrow(
      'CIFAR-10: data_batch_3.bin is missing from /data/cifar; expected the CIFAR-10 binary version (data_batch_1.bin',
    );
    await expect(loadCifar10(syntheticSource(4), { recordsPerFile: 5 })).rejects.toThrow(
      'CIFAR-10 data_batch_1.bin: 12292 bytes, expected 15365',
    );
  });
});
