/** Builds the CnnSearch a resolved configuration describes (the same for a new run and a resumed one). */
import type { Engine } from '@enas-webgpu/autograd';
import { CnnSearch, type CnnSearchSpace, createMacroSpace, createMicroSpace, type ImageDataset } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import type { ResolvedSearchOptions } from './presets.js';

export function buildSearch(engine: Engine, o: ResolvedSearchOptions, data: ImageDataset): CnnSearch<unknown> {
  const first = data.train;
  if (first.height !== first.width) throw new UsageError(`the search needs square images; the dataset has ${first.height}×${first.width}`);
  const valid = data.valid;
  if (!valid) throw new UsageError('the dataset has no validation split; the controller is rewarded on it');
  if (o.batchSize > valid.count) {
    throw new UsageError(
      `--batch-size ${o.batchSize} is larger than the ${valid.count} validation images (each reward uses one validation batch)`,
    );
  }
  if (o.batchSize > first.count) throw new UsageError(`--batch-size ${o.batchSize} is larger than the ${first.count} training images`);
  const child = {
    layers: o.layers,
    nodes: o.nodes,
    filters: o.filters,
    inputChannels: first.channels,
    imageSize: first.height,
    classes: data.classes.length,
    keepProb: o.keepProb,
    auxHead: o.auxHead,
  };
  let space: CnnSearchSpace<unknown>;
  try {
    if (o.space === 'micro') {
      space = createMicroSpace(engine, {
        child,
        controller: { lstmSize: o.lstmSize, tanhConstant: o.tanhConstant, opTanhReduce: o.opTanhReduce },
        seed: o.seed,
      }) as CnnSearchSpace<unknown>;
    } else {
      space = createMacroSpace(engine, {
        child: {
          layers: o.layers,
          filters: o.filters,
          inputChannels: first.channels,
          imageSize: first.height,
          classes: data.classes.length,
          keepProb: o.keepProb,
        },
        controller: { lstmSize: o.lstmSize, tanhConstant: o.tanhConstant, skipTarget: o.skipTarget, skipWeight: o.skipWeight },
        seed: o.seed,
      }) as CnnSearchSpace<unknown>;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Configuration errors of the network (e.g. an aux head on images too small for it) are the user's to fix.
    throw new UsageError((e as Error).message);
  }
  return new CnnSearch(engine, space, data, {
    batchSize: o.batchSize,
    lr: { lrMax: o.lrMax, lrMin: o.lrMin, t0: o.lrT0, tMul: o.lrTMul },
    momentum: o.momentum,
    l2: o.l2,
    clipNorm: o.clipNorm > 0 ? o.clipNorm : undefined,
    auxWeight: o.auxWeight,
    childStepsPerEpoch: o.childSteps > 0 ? o.childSteps : undefined,
    controllerSteps: o.controllerSteps,
    aggregate: o.aggregate,
    controllerLr: o.controllerLr,
    entropyWeight: o.entropyWeight,
    baselineDecay: o.baselineDecay,
    augment: { pad: o.augmentPad, flip: o.augmentFlip, cutout: o.cutout },
    seed: o.seed,
  });
}
