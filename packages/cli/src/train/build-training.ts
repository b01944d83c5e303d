/** Builds the FixedTraining resolved options describe (the same for a new run, a resumed one and `enas eval`). */
import type { Engine } from '@enas-webgpu/autograd';
import { FixedTraining, type ImageDataset } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import { parseTrainArc, planTraining, type ResolvedTrainOptions } from './train-options.js';

export function buildTraining(engine: Engine, o: ResolvedTrainOptions, data: ImageDataset): FixedTraining {
  const images = data.train;
  if (images.height !== images.width)
    throw new UsageError(`training needs square images; the dataset has ${images.height}×${images.width}`);
  if (o.batchSize > images.count) throw new UsageError(`--batch-size ${o.batchSize} is larger than the ${images.count} training images`);
  const arch = parseTrainArc(o.space, o.arc, 'the architecture');
  const plan = planTraining(o, arch, { channels: images.channels, size: images.height, classes: data.classes.length });
  try {
    return new FixedTraining(engine, plan.spec, data, plan.training);
  } catch (e) {
    // Configuration errors of the network (e.g. an aux head on images too small for it) are the user's to fix.
    throw new UsageError((e as Error).message);
  }
}
