/** What the fixed CIFAR networks of both spaces share: their input, head and forward options. */

export interface FixedImageConfig {
  /** C: channels of the first cells or layers (36 micro final, 96 macro final); doubled at each reduction. */
  readonly filters: number;
  readonly inputChannels: number;
  /** Side of the square input images (32 for CIFAR-10). */
  readonly imageSize: number;
  readonly classes: number;
  /** Dropout keep probability before the classifier, in training (0.8 micro final, 0.5 macro final). */
  readonly keepProb: number;
  /** The auxiliary classifier after the last reduction (training only; its loss is weighted by the trainer). */
  readonly auxHead: boolean;
}

export interface FixedForwardOptions {
  /** Training: batch statistics (running averages updated), dropout, drop-path, aux head. Else: inference. */
  readonly training: boolean;
  /** Fraction of the training run done, in [0, 1]: scales the drop-path rate (`dropPathKeep`). */
  readonly progress: number;
}
