/**
 * FixedTraining: training one architecture from scratch and evaluating it (official `src/cifar10/main.py` with a
 * fixed arc and `--nocontroller_training`; reference notes a.2-a.4), as steps a CLI or a page can drive:
 *
 *   every step    one augmented minibatch of the training images (all 50 000 for CIFAR-10: no validation
 *                 split), loss = CE(logits) + auxWeight · CE(aux logits), SGD with Nesterov momentum 0.9,
 *                 L2 as l2 · Σw² (every parameter, the aux head's included), SGDR by epoch; drop-path and the
 *                 learning rate are constant within an epoch;
 *   evaluation    a whole split (the 10 000 test images) in order, in batches of evalBatchSize (100, official
 *                 `eval_batch_size`, the last one partial), inference mode: BN running averages, no dropout,
 *                 no drop-path, no aux head, no augmentation.
 *
 * `trainStep()` records and submits its step before it returns, and resolves with the step's numbers once the GPU
 * has run it, so a caller may keep a few steps in flight. Nothing here touches files: train-checkpoint.ts
 * captures and restores the whole state (the CLI writes it), and a restored run draws the same batches and
 * random numbers as the uninterrupted one.
 */
import {
  accuracyCount,
  add,
  backward,
  crossEntropy,
  type Engine,
  SGD,
  type SgdrConfig,
  scale,
  sgdrLearningRate,
} from '@enas-webgpu/autograd';
import { Rng } from '@enas-webgpu/wgsl-kernels';
import { type ChannelNormalization, channelStatistics, epochBatches, type ImageDataset, makeImageBatch } from '../data/labeled-images.js';
import { dropPathKeep, dropPathProgress } from '../fixed/drop-path.js';
import { FixedNetwork, type FixedNetworkSpec } from '../fixed/fixed-network.js';
import { ImageBatcher } from '../search/image-batcher.js';
import { type AugmentOptions, uploadImageBatch } from './image-upload.js';

export interface FixedTrainingOptions {
  readonly batchSize: number;
  readonly epochs: number;
  /** SGDR schedule by epoch. */
  readonly lr: SgdrConfig;
  readonly momentum: number;
  /** L2 coefficient as in the official loss term l2 · Σw² (the gradient gets 2 · l2 · w). */
  readonly l2: number;
  /** Global-norm clipping; undefined: none (the official final scripts set no clipping). */
  readonly clipNorm?: number;
  /** Weight of the aux head's loss (0.4). */
  readonly auxWeight: number;
  readonly augment: AugmentOptions;
  readonly evalBatchSize: number;
  /** Seeds the parameter initialisation and the batch order (the GPU random state is the engine's). */
  readonly seed: number;
}

export interface FixedStepRecord {
  readonly kind: 'train';
  readonly epoch: number;
  /** 0-based index of the step in the run. */
  readonly step: number;
  readonly lr: number;
  /** Mean cross-entropy of the main classifier on the (augmented) batch, dropout and drop-path on. */
  readonly loss: number;
  readonly auxLoss?: number;
  readonly accuracy: number;
  /** Drop-path keep probability of the last cell at this step (1: none). */
  readonly dropPathKeep: number;
  /** True for the last step of an epoch. */
  readonly epochEnd: boolean;
}

export type ImageSplit = 'train' | 'valid' | 'test';

export interface FixedEvaluation {
  readonly split: ImageSplit;
  readonly correct: number;
  readonly count: number;
  readonly accuracy: number;
}

/** Reads in flight during an evaluation before they are awaited (bounds the readback buffers). */
const EVAL_READS_IN_FLIGHT = 8;

export class FixedTraining {
  readonly network: FixedNetwork;
  readonly optimizer: SGD;
  readonly batcher: ImageBatcher;
  /** Per-channel statistics of the training images, applied to every split. */
  readonly normalization: ChannelNormalization;
  /** Training steps taken. */
  steps = 0;

  constructor(
    readonly engine: Engine,
    spec: FixedNetworkSpec,
    readonly data: ImageDataset,
    readonly options: FixedTrainingOptions,
  ) {
    const c = spec.config;
    const t = data.train;
    if (t.channels !== c.inputChannels || t.height !== c.imageSize || t.width !== c.imageSize) {
      throw new Error(
        `FixedTraining: ${data.name} images are ${t.channels}×${t.height}×${t.width}, the network expects ` +
          `${c.inputChannels}×${c.imageSize}×${c.imageSize}; build the spec from the dataset's image shape`,
      );
    }
    if (data.classes.length !== c.classes)
      throw new Error(`FixedTraining: ${data.name} has ${data.classes.length} classes, the network classifies ${c.classes}`);
    if (!Number.isInteger(options.epochs) || options.epochs < 1)
      throw new Error(`FixedTraining: epochs must be a positive integer, got ${options.epochs}`);
    if (!Number.isInteger(options.evalBatchSize) || options.evalBatchSize < 1)
      throw new Error(`FixedTraining: evalBatchSize must be a positive integer, got ${options.evalBatchSize}`);
    this.network = new FixedNetwork(engine, spec, new Rng(options.seed), 'fixed');
    this.optimizer = new SGD(this.network.group, {
      lr: sgdrLearningRate(0, options.lr),
      momentum: options.momentum,
      nesterov: true,
      weightDecay: 2 * options.l2,
      clipNorm: options.clipNorm,
    });
    this.normalization = channelStatistics(t);
    this.batcher = new ImageBatcher(t, this.normalization, options.batchSize, options.seed + 1);
  }

  /** Full batches per epoch (the remainder is dropped). */
  get stepsPerEpoch(): number {
    return this.batcher.stepsPerEpoch;
  }

  get totalSteps(): number {
    return this.options.epochs * this.stepsPerEpoch;
  }

  /** The epoch the next step belongs to. */
  get epoch(): number {
    return Math.floor(this.steps / this.stepsPerEpoch);
  }

  get done(): boolean {
    return this.steps >= this.totalSteps;
  }

  /** Records and submits one training step; resolves with its numbers after the GPU ran it. */
  trainStep(): Promise<FixedStepRecord> {
    if (this.done) throw new Error(`FixedTraining: the run is complete (${this.options.epochs} epochs, ${this.totalSteps} steps)`);
    const o = this.options;
    const epoch = this.epoch;
    const lr = sgdrLearningRate(epoch, o.lr);
    const progress = dropPathProgress(epoch, o.epochs);
    const e = this.engine;
    const step = e.beginStep('fixed-train');
    let reads: { loss: Promise<Float32Array>; aux?: Promise<Float32Array>; correct: Promise<Float32Array>; size: number };
    try {
      this.optimizer.zeroGrad();
      const batch = this.batcher.next();
      const { x, labels } = uploadImageBatch(e, batch, o.augment);
      const out = this.network.forward(x, { training: true, progress });
      const main = crossEntropy(out.logits, labels);
      const aux = out.auxLogits ? crossEntropy(out.auxLogits, labels) : undefined;
      backward(aux ? add(main, scale(aux, o.auxWeight)) : main);
      this.optimizer.setLearningRate(lr);
      this.optimizer.step();
      reads = { loss: step.read(main), correct: step.read(accuracyCount(out.logits, labels)), size: batch.labels.length };
      if (aux) reads.aux = step.read(aux);
      step.submit();
    } catch (err) {
      e.abortStep();
      throw err;
    }
    const index = this.steps;
    this.steps += 1;
    const record = {
      kind: 'train' as const,
      epoch,
      step: index,
      lr,
      dropPathKeep: this.lastCellKeep(progress),
      epochEnd: this.steps % this.stepsPerEpoch === 0,
    };
    return (async () => {
      const loss = (await reads.loss)[0] as number;
      const accuracy = ((await reads.correct)[0] as number) / reads.size;
      return reads.aux ? { ...record, loss, accuracy, auxLoss: (await reads.aux)[0] as number } : { ...record, loss, accuracy };
    })();
  }

  /** Accuracy on a whole split, in inference mode. */
  async evaluate(split: ImageSplit = 'test'): Promise<FixedEvaluation> {
    const images = split === 'valid' ? this.data.valid : this.data[split];
    if (!images)
      throw new Error(`FixedTraining.evaluate: ${this.data.name} has no '${split}' split (it was loaded without a validation split)`);
    const e = this.engine;
    let correct = 0;
    let pending: Promise<Float32Array>[] = [];
    const settle = async () => {
      for (const c of await Promise.all(pending)) correct += c[0] as number;
      pending = [];
    };
    for (const indices of epochBatches(images.count, this.options.evalBatchSize)) {
      const batch = makeImageBatch(images, indices, this.normalization);
      const step = e.beginStep('fixed-evaluate');
      try {
        const { x, labels } = uploadImageBatch(e, batch);
        const count = e.noGrad(() => accuracyCount(this.network.forward(x, { training: false, progress: 0 }).logits, labels));
        pending.push(step.read(count));
        step.submit();
      } catch (err) {
        e.abortStep();
        throw err;
      }
      if (pending.length >= EVAL_READS_IN_FLIGHT) await settle();
    }
    await settle();
    return { split, correct, count: images.count, accuracy: correct / images.count };
  }

  private lastCellKeep(progress: number): number {
    const s = this.network.spec;
    if (s.space !== 'micro' || s.config.dropPathKeep >= 1) return 1;
    const cells = s.config.layers + 2;
    return dropPathKeep(cells - 1, cells, s.config.dropPathKeep, progress);
  }
}
