/**
 * Image datasets as bytes, and the step that turns a set of indices into a normalised NCHW float batch. Pixels stay
 * bytes until batching (CIFAR-10's 50 000 training images are 154 MB as bytes, 614 MB as f32).
 */

export interface LabeledImages {
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** One class id per image. */
  readonly labels: Uint8Array;
  /** count × channels × height × width bytes; each image is channel planes (CHW), each plane row-major. */
  readonly pixels: Uint8Array;
}

export interface ImageDataset {
  readonly name: string;
  readonly classes: readonly string[];
  readonly train: LabeledImages;
  /** Held out from the training images (the controller's reward during search); null when not split. */
  readonly valid: LabeledImages | null;
  readonly test: LabeledImages;
}

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface ChannelNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface ImageBatch {
  /** [n, channels, height, width], (pixel / 255 − mean[c]) / std[c]. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly shape: readonly [number, number, number, number];
}

/** Images [start, end) as a view (no copy). */
export function sliceImages(images: LabeledImages, start: number, end: number): LabeledImages {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= images.count)) {
    throw new RangeError(`sliceImages: [${start}, ${end}) is not a range of the ${images.count} images`);
  }
  const size = images.channels * images.height * images.width;
  return {
    ...images,
    count: end - start,
    labels: images.labels.subarray(start, end),
    pixels: images.pixels.subarray(start * size, end * size),
  };
}

/**
 * The reference split (melodyguan/enas `src/cifar10/data_utils.py` `read_data`): the last `validationSize` training
 * images become the validation set, the rest stay for training. Views, no copy.
 */
export function splitValidation(images: LabeledImages, validationSize: number): { train: LabeledImages; valid: LabeledImages } {
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= images.count) {
    throw new RangeError(`splitValidation: validation size ${validationSize} must be an integer in 0..${images.count - 1}`);
  }
  return {
    train: sliceImages(images, 0, images.count - validationSize),
    valid: sliceImages(images, images.count - validationSize, images.count),
  };
}

/**
 * Mean and population standard deviation per channel over all pixels of all images, in [0, 1] units and float64,
 * as the reference computes them on the training split only (`np.mean`/`np.std` over N, H, W) and applies to all splits.
 */
export function channelStatistics(images: LabeledImages): ChannelNormalization {
  const { count, channels } = images;
  const plane = images.height * images.width;
  if (count === 0) throw new RangeError('channelStatistics: no images');
  // Byte histograms per channel: exact sums and one pass over the pixels.
  const histogram = new Float64Array(channels * 256);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const base = (i * channels + c) * plane;
      for (let p = 0; p < plane; p++) histogram[c * 256 + images.pixels[base + p]!]!++;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  const n = count * plane;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let v = 0; v < 256; v++) sum += histogram[c * 256 + v]! * v;
    const m = sum / n;
    let squares = 0;
    for (let v = 0; v < 256; v++) squares += histogram[c * 256 + v]! * (v - m) ** 2;
    mean.push(m / 255);
    std.push(Math.sqrt(squares / n) / 255);
  }
  return { mean, std };
}

/** Gathers the images at `indices` into a normalised NCHW f32 batch with int32 labels. */
export function makeImageBatch(images: LabeledImages, indices: ArrayLike<number>, normalization: ChannelNormalization): ImageBatch {
  const { channels, height, width } = images;
  if (normalization.mean.length !== channels || normalization.std.length !== channels) {
    throw new Error(
      `makeImageBatch: normalization has ${normalization.mean.length} means and ${normalization.std.length} stds for ${channels}-channel images`,
    );
  }
  normalization.std.forEach((s, c) => {
    if (!(s > 0)) throw new Error(`makeImageBatch: std of channel ${c} is ${s}; normalising needs a positive std (are all pixels equal?)`);
  });
  const size = channels * height * width;
  const plane = height * width;
  const x = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  // scale and shift per channel: (p / 255 − mean) / std = p · a + b
  const a = normalization.std.map((s) => 1 / (255 * s));
  const b = normalization.mean.map((m, c) => -m / normalization.std[c]!);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= images.count) {
      throw new RangeError(`makeImageBatch: index ${i} (batch position ${k}) is outside 0..${images.count - 1}`);
    }
    labels[k] = images.labels[i]!;
    for (let c = 0; c < channels; c++) {
      const src = i * size + c * plane;
      const dst = k * size + c * plane;
      const ac = a[c]!;
      const bc = b[c]!;
      for (let p = 0; p < plane; p++) x[dst + p] = images.pixels[src + p]! * ac + bc;
    }
  }
  return { x, labels, shape: [indices.length, channels, height, width] };
}

/**
 * The index batches of one epoch: 0..count−1 in order, or shuffled (Fisher–Yates) when `random` is given.
 * The last batch is shorter unless `dropRemainder`.
 */
export function epochBatches(
  count: number,
  batchSize: number,
  options: { random?: () => number; dropRemainder?: boolean } = {},
): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`epochBatches: batch size ${batchSize} must be a positive integer`);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (options.random) {
    for (let i = count - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(options.random() * (i + 1)));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    if (options.dropRemainder && start + batchSize > count) break;
    batches.push(order.subarray(start, Math.min(count, start + batchSize)));
  }
  return batches;
}
