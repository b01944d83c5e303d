/** Loads the dataset a command names: CIFAR-10 binary batches from a directory, or the built-in MNIST digits. */
import { type ImageDataset, loadBuiltinMnist, loadCifar10, sliceImages } from '@enas-webgpu/enas';
import { directoryDataSource } from '../run/node-data-source.js';
import { UsageError } from '../run-cli.js';

export interface DatasetChoice {
  /** A directory with data_batch_1..5.bin and test_batch.bin (CIFAR-10 binary version). */
  data?: string;
  /** 'mnist' (built in, the default without --data) or 'cifar10' (needs --data). */
  dataset?: string;
  /** Use only the first N training images (0 = all). */
  trainSize?: number;
  /** Training images held out as the validation split (the controller's reward); 0 or undefined = the default. */
  validationSize?: number;
  /** Keep every training image for training, no validation split (training a fixed architecture). */
  noValidation?: boolean;
  /** Records per CIFAR-10 batch file (10 000 in the real files; smaller for subsets made in the same format). */
  recordsPerFile?: number;
}

export async function loadDataset(choice: DatasetChoice): Promise<{ dataset: ImageDataset; directory?: string }> {
  const name = choice.dataset ?? (choice.data ? 'cifar10' : 'mnist');
  let dataset: ImageDataset;
  if (name === 'cifar10') {
    if (!choice.data) throw new UsageError('--dataset cifar10 needs --data DIR, the directory holding data_batch_1.bin .. test_batch.bin');
    try {
      dataset = await loadCifar10(directoryDataSource(choice.data), {
        validationSize: choice.noValidation ? 0 : choice.validationSize || undefined,
        recordsPerFile: choice.recordsPerFile || undefined,
      });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--data ${choice.data}: ${(e as Error).message}`);
    }
  } else if (name === 'mnist') {
    if (choice.data)
      throw new UsageError('--data is for CIFAR-10 directories; the MNIST set is built in (drop --data, or use --dataset cifar10)');
    dataset = await loadBuiltinMnist({ validationSize: choice.noValidation ? 0 : choice.validationSize || undefined });
  } else {
    throw new UsageError(`--dataset ${name}: unknown; choose mnist (built in) or cifar10 (with --data DIR)`);
  }
  const limit = choice.trainSize ?? 0;
  if (limit > 0 && limit < dataset.train.count) dataset = { ...dataset, train: sliceImages(dataset.train, 0, limit) };
  return { dataset, directory: choice.data };
}
