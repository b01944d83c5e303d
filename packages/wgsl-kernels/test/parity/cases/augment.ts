/**
 * Parity cases of src/ops/augment: the CIFAR training augmentation (random crop of the zero-padded image, random
 * flip, cutout with either placement). Every output element is a copy of an input element or 0, so outputs are
 * read back as bit patterns and must be identical in both runtimes and to the reference, which draws the same
 * crop, flip and cutout from the RNG's CPU twin.
 */
import { type AugmentShape, type CifarAugmentOptions, cifarAugment } from '../../../src/ops/augment/cifar-augment.js';
import { cifarAugmentRef } from '../../../src/ops/augment/cifar-augment.reference.js';
import { f32Bits, type ParityCase, parityCase } from '../parity-case.js';

// 3·10·10 = 300 elements per image: two 256-thread workgroups, each drawing the image's parameters itself.
const SHAPE: AugmentShape = { N: 5, C: 3, H: 10, W: 10 };
const n = SHAPE.N * SHAPE.C * SHAPE.H * SHAPE.W;

function augmentCase(label: string, options: CifarAugmentOptions, arena = false) {
  return parityCase({
    name: `cifarAugment ${SHAPE.N}x${SHAPE.C}x${SHAPE.H}x${SHAPE.W} ${label}${arena ? ' (arena)' : ''}`,
    family: 'augment',
    arena,
    inputs: (rng) => ({
      rng: Uint32Array.of(rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), rng.int(0, 0xffffffff), 0),
      // Never 0, so a pixel zeroed by padding or cutout cannot pass for a copied one.
      x: rng.f32(n, 0.5, 1.5),
    }),
    outputs: () => ({ y: { count: n, type: 'u32' as const } }),
    record: (rec, t) => cifarAugment(rec, { rng: t.rng, x: t.x, y: t.y }, SHAPE, options),
    reference: ({ rng, x }) => ({ y: f32Bits(cifarAugmentRef(x, rng, SHAPE, options)) }),
  });
}

export const augmentCases: ParityCase[] = [
  augmentCase('crop pad 4 + flip', { stream: 1 }),
  augmentCase('crop pad 2 + flip + cutout 4 corner', { stream: 2, pad: 2, cutoutSize: 4 }),
  augmentCase('crop pad 4 + flip + cutout 5 centre', { stream: 3, cutoutSize: 5, cutoutPlacement: 'centre' }, true),
];
