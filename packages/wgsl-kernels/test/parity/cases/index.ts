/**
 * Every parity case, in the order they run (the same list in Node and in the browser page).
 *
 * ADDING A KERNEL FAMILY: write `test/parity/cases/<family>.ts` exporting `<family>Cases: ParityCase[]`, one
 * `parityCase({...})` per kernel (forward, backward, and each config that compiles different WGSL: accumulate,
 * kernel size, stride...), with tiny shapes (Chromium runs WebGPU on SwiftShader, on the CPU) and the family's
 * float64 reference; then add one line to the list below. Mark a few cases `arena: true` so aligned sub-slices
 * and the read_write pipeline variant are covered. Integer outputs (RNG bits, sampled indices) use
 * `{ count, type: 'u32' }` and must match exactly; so do f32 outputs that must be bit-identical (see f32Bits).
 *
 * SwiftShader's cost is compiling pipelines, not running them: kernels with workgroup barriers (tiled GEMMs,
 * tree reductions) take seconds each. Add a case for every distinct pipeline, and vary shapes within one.
 */
import type { ParityCase } from '../parity-case.js';
import { augmentCases } from './augment.js';
import { batchNormCases } from './batchnorm.js';
import { convCases } from './conv.js';
import { elementwiseCases } from './elementwise.js';
import { embeddingCases } from './embedding.js';
import { highwayCases } from './highway.js';
import { lossCases } from './loss.js';
import { lstmCases } from './lstm.js';
import { matmulCases } from './matmul.js';
import { optimCases } from './optim.js';
import { poolCases } from './pool.js';
import { randomCases } from './random.js';
import { reduceCases } from './reduce.js';
import { reinforceCases } from './reinforce.js';
import { sampleCases } from './sample.js';
import { shapeCases } from './shape.js';

export const PARITY_CASES: readonly ParityCase[] = [
  ...elementwiseCases,
  ...matmulCases,
  ...convCases,
  ...poolCases,
  ...shapeCases,
  ...batchNormCases,
  ...reduceCases,
  ...optimCases,
  ...randomCases,
  ...embeddingCases,
  ...lstmCases,
  ...lossCases,
  ...sampleCases,
  ...highwayCases,
  ...augmentCases,
  ...reinforceCases,
];
