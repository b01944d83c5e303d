/**
 * A minibatch's way onto the GPU: the normalised images and labels are the step's only CPU→GPU data, and a
 * training batch is augmented there (wgsl-kernels ops/augment: pad-and-crop, flip, cutout, in the official order
 * and with the official cutout placement), drawing from the engine's random state like every random op.
 */
import type { Engine, Tensor } from '@enas-webgpu/autograd';
import { cifarAugment } from '@enas-webgpu/wgsl-kernels';
import type { ImageBatch } from '../data/labeled-images.js';

export interface AugmentOptions {
  /** Zero padding of the random crop (4 in the official code); 0: no crop. */
  readonly pad: number;
  readonly flip: boolean;
  /** Side of the cutout square (16 in the micro final script); 0: none. */
  readonly cutout: number;
}

export const NO_AUGMENT: AugmentOptions = { pad: 0, flip: false, cutout: 0 };

/** Uploads a batch into the open step; with `augment`, returns the augmented images instead of the originals. */
export function uploadImageBatch(engine: Engine, batch: ImageBatch, augment: AugmentOptions = NO_AUGMENT): { x: Tensor; labels: Tensor } {
  const [N, C, H, W] = batch.shape;
  const x = engine.input(batch.x, batch.shape, 'images');
  const labels = engine.input(Uint32Array.from(batch.labels), [N], 'labels');
  if (!(augment.pad > 0 || augment.flip || augment.cutout > 0)) return { x, labels };
  const y = engine.empty(batch.shape, 'augmented');
  cifarAugment(
    engine.rec,
    { rng: engine.rng, x: x.data, y: y.data },
    { N, C, H, W },
    { stream: engine.nextStream(), pad: augment.pad, flip: augment.flip, cutoutSize: augment.cutout },
  );
  return { x: y, labels };
}
