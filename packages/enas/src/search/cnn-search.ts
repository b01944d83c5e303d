/**
 * CnnSearch: the ENAS alternation for a CIFAR search space (official `src/cifar10/main.py` train loop; reference
 * notes a.0, a.2, a.3, a.4), readable top to bottom:
 *
 *   every child step   the controller samples a fresh architecture on the GPU (its decisions are read back: the
 *                      few bytes that must cross), and the shared weights train on one augmented minibatch
 *                      through that child (SGD Nesterov 0.9, SGDR cosine, L2, optional aux head at weight 0.4);
 *   after each epoch   the controller trains for `controllerSteps` Adam updates, each averaging REINFORCE
 *                      gradients over `aggregate` sampled architectures; a sample's reward is the child's
 *                      accuracy on one validation minibatch (no augmentation) plus the entropy bonus, against a
 *                      moving-average baseline.
 *
 * Each step is one engine step (one submit); losses, accuracies and rewards are read asynchronously and reported
 * through the returned promises, never waited on inside a step.
 *
 * Child steps pipeline (`startChildStep`): step n's training is queued after the sampling pass of step n + 1, so
 * step n + 1's architecture reaches the CPU while the GPU still trains step n, and its commands are recorded in the
 * meantime; the driver reads step n's loss once step n + 1 is submitted. The GPU never waits for the host to
 * record, as long as recording is the shorter of the two.
 */
import {
  Adam,
  accuracyCount,
  add,
  backward,
  crossEntropy,
  type Engine,
  mulScalar,
  SGD,
  type SgdrConfig,
  scale,
  sgdrLearningRate,
  type Tensor,
} from '@enas-webgpu/autograd';
import { cifarAugment, REWARD_OUT, reinforceReward } from '@enas-webgpu/wgsl-kernels';
import { channelStatistics, type ImageBatch, type ImageDataset } from '../data/labeled-images.js';
import { ImageBatcher, type ImageBatcherState } from './image-batcher.js';
import type { CnnSearchSpace } from './search-space.js';

/** The training schedule of a CIFAR search (what the space itself does not decide). */
export interface CnnSearchOptions {
  batchSize: number;
  /** SGDR schedule of the shared weights, by epoch. */
  lr: SgdrConfig;
  momentum: number;
  /** L2 coefficient as in the official loss term l2 · Σw² (the gradient gets 2 · l2 · w). */
  l2: number;
  /** Global-norm clipping of the child gradients; undefined: none (the official CIFAR clipping is a no-op, a.5.1). */
  clipNorm?: number;
  auxWeight: number;
  /** Child steps per epoch; default: one pass over the training images. */
  childStepsPerEpoch?: number;
  controllerSteps: number;
  aggregate: number;
  controllerLr: number;
  entropyWeight: number;
  baselineDecay: number;
  /** GPU augmentation of training batches: pad-and-crop (pixels, 0 = none), horizontal flip, cutout size. */
  augment: { pad: number; flip: boolean; cutout: number };
  seed: number;
  /**
   * Sample each child's architecture during the previous child step (default true; see `startChildStep`). False
   * keeps the controller's decision log on the child just trained, for a driver that reads it after the step
   * (the viewer's probability maps).
   */
  sampleAhead?: boolean;
}

export interface ChildStepRecord {
  kind: 'child';
  epoch: number;
  step: number;
  arc: string;
  lr: number;
  loss: number;
  accuracy: number;
}

export interface ControllerStepRecord {
  kind: 'controller';
  epoch: number;
  step: number;
  /** Mean over the aggregated samples. */
  reward: number;
  accuracy: number;
  entropy: number;
  baseline: number;
  arcs: string[];
}

/**
 * A submitted child step whose loss and accuracy are still on their way back from the GPU. An object rather than
 * a bare promise: `startChildStep` is async, and an async function resolving to a promise would wait for it.
 */
export interface PendingChildStep {
  readonly record: Promise<ChildStepRecord>;
}

export interface DerivedArchitecture<A> {
  arch: A;
  arc: string;
  accuracy: number;
}

export class CnnSearch<A> {
  readonly childOptimizer: SGD;
  readonly controllerOptimizer: Adam;
  readonly train: ImageBatcher;
  readonly valid: ImageBatcher;
  /** Persistent GPU state of REINFORCE: the baseline, the latest advantage, and the reward record. */
  readonly baseline: Tensor;
  private readonly advantage: Tensor;
  private readonly reward: Tensor;
  childSteps = 0;
  controllerUpdates = 0;
  /**
   * The decision words of the next child step's architecture when it was sampled ahead (see `startChildStep`).
   * Anything else that samples the controller drops it; a checkpoint carries it (`pendingArchitectureWords`).
   */
  private nextWords: Promise<Uint32Array> | undefined;

  constructor(
    readonly engine: Engine,
    readonly space: CnnSearchSpace<A>,
    readonly data: ImageDataset,
    readonly options: CnnSearchOptions,
  ) {
    const valid = data.valid;
    if (!valid) throw new Error(`${space.name} search needs a validation split (the controller is rewarded on it)`);
    this.childOptimizer = new SGD(space.network.group, {
      lr: sgdrLearningRate(0, options.lr),
      momentum: options.momentum,
      nesterov: true,
      weightDecay: 2 * options.l2,
      clipNorm: options.clipNorm,
    });
    this.controllerOptimizer = new Adam(space.controller.group, { lr: options.controllerLr, beta1: 0, epsilon: 1e-3 });
    const norm = channelStatistics(data.train);
    this.train = new ImageBatcher(data.train, norm, options.batchSize, options.seed + 1);
    this.valid = new ImageBatcher(valid, norm, options.batchSize, options.seed + 2);
    this.baseline = engine.persistent(new Float32Array(1), [1], 'controller/baseline');
    this.advantage = engine.persistent(new Float32Array(1), [1], 'controller/advantage');
    this.reward = engine.persistent(new Float32Array(4), [4], 'controller/reward');
  }

  get stepsPerEpoch(): number {
    return this.options.childStepsPerEpoch ?? this.train.stepsPerEpoch;
  }

  /** The epoch the next child step belongs to. */
  get epoch(): number {
    return Math.floor(this.childSteps / this.stepsPerEpoch);
  }

  /** Samples one architecture on the GPU and reads it back (its own small step). */
  async sampleArchitecture(): Promise<A> {
    this.dropSampledAhead();
    return this.space.controller.architectureFromWords(await this.sampleWords());
  }

  /** Records and submits a sampling pass now; the words arrive once the GPU has run it. */
  private sampleWords(): Promise<Uint32Array> {
    const controller = this.space.controller;
    const step = this.engine.beginStep('controller-sample');
    controller.run('sample');
    const words = step.readU32(controller.log.packedIndices);
    step.submit();
    return words;
  }

  private dropSampledAhead(): void {
    // Its words are never read; a failure of that pass surfaces through the device's error handling instead.
    this.nextWords?.catch(() => {});
    this.nextWords = undefined;
  }

  /** The words of an architecture sampled ahead for the next child step, if any (for checkpoints). */
  async pendingArchitectureWords(): Promise<Uint32Array | undefined> {
    return this.nextWords ? Uint32Array.from(await this.nextWords) : undefined;
  }

  /** Restores an architecture sampled ahead (from a checkpoint): the next child step trains it. */
  restorePendingArchitecture(words: ArrayLike<number> | undefined): void {
    this.dropSampledAhead();
    if (words) this.nextWords = Promise.resolve(Uint32Array.from(words));
  }

  /** One child step, waited for: a fresh architecture, one training minibatch. Resolves with its loss and accuracy. */
  async childStep(given?: A): Promise<ChildStepRecord> {
    return (await this.startChildStep(given)).record;
  }

  /**
   * Submits one child step and returns once it is queued; its record resolves when the GPU has run it. Resolves
   * only after the architecture is on the CPU, which the previous step sampled ahead when it could. With `given`,
   * trains that architecture instead and samples nothing (warm-ups, tests).
   */
  async startChildStep(given?: A): Promise<PendingChildStep> {
    let arch: A;
    if (given) {
      arch = given;
    } else {
      const ahead = this.nextWords;
      this.nextWords = undefined;
      arch = this.space.controller.architectureFromWords(await (ahead ?? this.sampleWords()));
      // Sample the next child's architecture before this step's training is queued, so the GPU runs it first.
      // Not after the last child step of an epoch: the controller trains next, and the next child comes from it.
      const lastOfEpoch = (this.childSteps + 1) % this.stepsPerEpoch === 0;
      if (this.options.sampleAhead !== false && !lastOfEpoch) this.nextWords = this.sampleWords();
    }
    const epoch = this.epoch;
    const lr = sgdrLearningRate(epoch, this.options.lr);
    const e = this.engine;
    const step = e.beginStep('child-train');
    this.childOptimizer.zeroGrad();
    const batch = this.train.next();
    const { x, labels } = this.upload(batch, true);
    const out = this.space.network.forward(x, arch, true);
    let loss = crossEntropy(out.logits, labels);
    const mainLoss = loss;
    if (out.auxLogits) loss = add(loss, scale(crossEntropy(out.auxLogits, labels), this.options.auxWeight));
    backward(loss);
    this.childOptimizer.setLearningRate(lr);
    this.childOptimizer.step();
    const lossValue = step.read(mainLoss);
    const correct = step.read(accuracyCount(out.logits, labels));
    step.submit();
    const index = this.childSteps;
    this.childSteps += 1;
    const arc = this.space.print(arch);
    const record = Promise.all([lossValue, correct]).then(
      ([l, c]): ChildStepRecord => ({
        kind: 'child',
        epoch,
        step: index,
        arc,
        lr,
        loss: l[0] as number,
        accuracy: (c[0] as number) / batch.labels.length,
      }),
    );
    return { record };
  }

  /** One controller update: `aggregate` sampled architectures, REINFORCE gradients averaged, one Adam step. */
  async controllerStep(): Promise<ControllerStepRecord> {
    this.dropSampledAhead();
    const M = this.options.aggregate;
    const rewards: Promise<Float32Array>[] = [];
    const entropies: Promise<Float32Array>[] = [];
    const arcs: string[] = [];
    for (let i = 0; i < M; i++) {
      const arch = await this.sampleArchitecture();
      arcs.push(this.space.print(arch));
      const e = this.engine;
      const step = e.beginStep('controller-train');
      if (i === 0) this.controllerOptimizer.zeroGrad();
      const batch = this.valid.next();
      const { x, labels } = this.upload(batch, false);
      const controller = this.space.controller;
      const correct = e.noGrad(() => accuracyCount(this.space.network.forward(x, arch, false).logits, labels));
      reinforceReward(
        e.rec,
        {
          measure: correct.data,
          entropy: controller.log.entropySum.data,
          state: this.baseline.data,
          advantage: this.advantage.data,
          out: this.reward.data,
        },
        {
          score: 'accuracy',
          scale: 1 / batch.labels.length,
          entropyWeight: this.options.entropyWeight,
          baselineDecay: this.options.baselineDecay,
        },
      );
      // REINFORCE: (Σ −log p) · (R − b), plus any penalty of the space; averaged over the aggregated samples.
      const { negLogProb, penalty } = controller.run('replay');
      let loss = mulScalar(negLogProb, this.advantage);
      if (penalty) loss = add(loss, penalty);
      backward(scale(loss, 1 / M));
      if (i === M - 1) this.controllerOptimizer.step();
      rewards.push(step.read(this.reward));
      entropies.push(step.read(controller.log.entropySum));
      step.submit();
    }
    const values = await Promise.all(rewards);
    const ents = await Promise.all(entropies);
    const mean = (f: (v: Float32Array) => number, xs: Float32Array[]) => xs.reduce((s, v) => s + f(v), 0) / xs.length;
    const record: ControllerStepRecord = {
      kind: 'controller',
      epoch: this.epoch,
      step: this.controllerUpdates,
      reward: mean((v) => v[REWARD_OUT.reward] as number, values),
      accuracy: mean((v) => v[REWARD_OUT.score] as number, values),
      entropy: mean((v) => v[0] as number, ents),
      baseline: (values[values.length - 1] as Float32Array)[REWARD_OUT.baseline] as number,
      arcs,
    };
    this.controllerUpdates += 1;
    return record;
  }

  /** Validation accuracy of one architecture on one validation minibatch. */
  async evaluate(arch: A, batch: ImageBatch = this.valid.next()): Promise<number> {
    const e = this.engine;
    const step = e.beginStep('evaluate');
    const { x, labels } = this.upload(batch, false);
    const correct = e.noGrad(() => accuracyCount(this.space.network.forward(x, arch, false).logits, labels));
    const value = step.read(correct);
    step.submit();
    return ((await value)[0] as number) / batch.labels.length;
  }

  /** Derive: sample `samples` architectures, score each on the same validation minibatch, keep the best. */
  async derive(samples: number, onSample?: (d: DerivedArchitecture<A>, i: number) => void): Promise<DerivedArchitecture<A>> {
    if (!Number.isInteger(samples) || samples < 1) throw new Error(`derive: samples must be a positive integer, got ${samples}`);
    const batch = this.valid.next();
    let best: DerivedArchitecture<A> | undefined;
    for (let i = 0; i < samples; i++) {
      const arch = await this.sampleArchitecture();
      const d = { arch, arc: this.space.print(arch), accuracy: await this.evaluate(arch, batch) };
      onSample?.(d, i);
      if (!best || d.accuracy > best.accuracy) best = d;
    }
    return best as DerivedArchitecture<A>;
  }

  /** Uploads a batch (the step's only CPU→GPU data) and, for training, augments it on the GPU. */
  private upload(batch: ImageBatch, augment: boolean): { x: Tensor; labels: Tensor } {
    const e = this.engine;
    const [N, C, H, W] = batch.shape;
    let x = e.input(batch.x, batch.shape, 'images');
    const labels = e.input(Uint32Array.from(batch.labels), [N], 'labels');
    const a = this.options.augment;
    if (augment && (a.pad > 0 || a.flip || a.cutout > 0)) {
      const y = e.empty(batch.shape, 'augmented');
      cifarAugment(
        e.rec,
        { rng: e.rng, x: x.data, y: y.data },
        { N, C, H, W },
        { stream: e.nextStream(), pad: a.pad, flip: a.flip, cutoutSize: a.cutout },
      );
      x = y;
    }
    return { x, labels };
  }

  get batcherState(): { train: ImageBatcherState; valid: ImageBatcherState } {
    return { train: this.train.state, valid: this.valid.state };
  }
}
