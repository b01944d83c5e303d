/**
 * CIFAR-10, binary version (`cifar-10-batches-bin`): each file is 10 000 records of 3073 bytes, a label byte (0–9)
 * then 3072 pixel bytes: the 1024 R values, then G, then B, each a 32×32 row-major plane. That is already the CHW
 * layout the engine uses, so pixels are copied out record by record without reordering.
 */
import { type DataSource, readDatasetFile } from './data-source.js';
import { type ImageDataset, type LabeledImages, splitValidation } from './labeled-images.js';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_IMAGE_BYTES = 3 * 32 * 32;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;
export const CIFAR10_RECORDS_PER_FILE = 10_000;
/** The reference holds out the last 5000 training images for the controller during search (`--num_valids`). */
export const CIFAR10_VALIDATION_SIZE = 5000;

/**
 * Parses one batch file. `expectedRecords` is 10 000 for the real files; tests use a few. A file of any other size
 * is rejected with its name and the expected size.
 */
export function parseCifar10Batch(bytes: Uint8Array, fileName: string, expectedRecords = CIFAR10_RECORDS_PER_FILE): LabeledImages {
  checkBatchSize(bytes, fileName, expectedRecords);
  return copyRecords([{ bytes, fileName }], expectedRecords);
}

export interface Cifar10Options {
  /** Training images held out as validation (default 5000, the reference split); 0 trains on all 50 000. */
  validationSize?: number;
  /** Records per file (default 10 000); only tests change it. */
  recordsPerFile?: number;
}

/** Reads the five training batches and the test batch from a source and applies the reference split. */
export async function loadCifar10(source: DataSource, options: Cifar10Options = {}): Promise<ImageDataset> {
  const records = options.recordsPerFile ?? CIFAR10_RECORDS_PER_FILE;
  const validationSize = options.validationSize ?? CIFAR10_VALIDATION_SIZE;
  const expected = `the CIFAR-10 binary version (${CIFAR10_TRAIN_FILES.join(', ')}, ${CIFAR10_TEST_FILE})`;
  const read = async (fileName: string) => ({ bytes: await readDatasetFile(source, 'CIFAR-10', fileName, expected), fileName });
  const trainFiles = [];
  for (const name of CIFAR10_TRAIN_FILES) {
    const file = await read(name);
    checkBatchSize(file.bytes, name, records);
    trainFiles.push(file);
  }
  const testFile = await read(CIFAR10_TEST_FILE);
  checkBatchSize(testFile.bytes, CIFAR10_TEST_FILE, records);
  const train = copyRecords(trainFiles, records);
  const test = copyRecords([testFile], records);
  if (validationSize === 0) return { name: 'cifar10', classes: CIFAR10_CLASSES, train, valid: null, test };
  const split = splitValidation(train, validationSize);
  return { name: 'cifar10', classes: CIFAR10_CLASSES, train: split.train, valid: split.valid, test };
}

function checkBatchSize(bytes: Uint8Array, fileName: string, records: number): void {
  const expectedBytes = records * CIFAR10_RECORD_BYTES;
  if (bytes.length === expectedBytes) return;
  throw new Error(
    `CIFAR-10 ${fileName}: ${bytes.length} bytes, expected ${expectedBytes} (${records} records × ${CIFAR10_RECORD_BYTES} bytes: ` +
      `1 label + 3072 pixels); the file is ${bytes.length < expectedBytes ? 'truncated' : 'too long'} or not a CIFAR-10 binary batch (cifar-10-batches-bin)`,
  );
}

/** Concatenates the records of several same-sized files into one LabeledImages. */
function copyRecords(files: readonly { bytes: Uint8Array; fileName: string }[], recordsPerFile: number): LabeledImages {
  const count = files.length * recordsPerFile;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  files.forEach(({ bytes, fileName }, f) => {
    for (let r = 0; r < recordsPerFile; r++) {
      const i = f * recordsPerFile + r;
      const label = bytes[r * CIFAR10_RECORD_BYTES]!;
      if (label > 9)
        throw new Error(`CIFAR-10 ${fileName}: record ${r} has label ${label}; labels are 0..9, so this is not a CIFAR-10 batch`);
      labels[i] = label;
      pixels.set(bytes.subarray(r * CIFAR10_RECORD_BYTES + 1, (r + 1) * CIFAR10_RECORD_BYTES), i * CIFAR10_IMAGE_BYTES);
    }
  });
  return { count, channels: 3, height: 32, width: 32, labels, pixels };
}
