/**
 * ImageBatcher: shuffled minibatch indices, epoch after epoch, from a seeded CPU generator. Its state is the
 * generator's state at the start of the current epoch plus the position in it, so a run restored from a checkpoint
 * draws exactly the batches the uninterrupted run would have.
 */
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { type ChannelNormalization, epochBatches, type ImageBatch, type LabeledImages, makeImageBatch } from '../data/labeled-images.js';

export interface ImageBatcherState {
  epochSeed: number;
  position: number;
  epoch: number;
}

export class ImageBatcher {
  private readonly rng: Rng;
  private batches: Int32Array[] = [];
  private epochSeed = 0;
  private position = 0;
  epoch = 0;

  constructor(
    readonly images: LabeledImages,
    readonly normalization: ChannelNormalization,
    readonly batchSize: number,
    seed: number,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size ${batchSize} must be a positive integer`);
    if (batchSize > images.count) {
      throw new Error(
        `batch size ${batchSize} is larger than the ${images.count} images available; use --batch-size ${images.count} or less`,
      );
    }
    this.rng = new Rng(seed);
    this.startEpoch();
  }

  /** Full batches per epoch (the remainder is dropped, as TF's shuffle_batch does). */
  get stepsPerEpoch(): number {
    return Math.floor(this.images.count / this.batchSize);
  }

  /** The next batch; starts a new (reshuffled) epoch when this one is used up. */
  next(): ImageBatch {
    if (this.position >= this.batches.length) {
      this.epoch += 1;
      this.startEpoch();
    }
    const indices = this.batches[this.position++] as Int32Array;
    return makeImageBatch(this.images, indices, this.normalization);
  }

  get state(): ImageBatcherState {
    return { epochSeed: this.epochSeed, position: this.position, epoch: this.epoch };
  }

  restore(s: ImageBatcherState): void {
    this.rng.restore(s.epochSeed);
    this.epoch = s.epoch;
    this.startEpoch();
    this.position = s.position;
  }

  private startEpoch(): void {
    this.epochSeed = this.rng.snapshot;
    this.batches = epochBatches(this.images.count, this.batchSize, { random: () => this.rng.next(), dropRemainder: true });
    this.position = 0;
  }
}
