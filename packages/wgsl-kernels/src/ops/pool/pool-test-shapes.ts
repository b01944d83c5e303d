/** Pooling shapes shared by the max- and average-pool tests (tiny: lavapipe runs WGSL on the CPU). */
import type { Rng } from '../../util/rng.js';
import type { Pool2dShape } from './pool-geometry.js';

/** Fixed edge cases, then a few random ones; `label` names each in the test list. */
export function poolTestShapes(rng: Rng): { label: string; shape: Pool2dShape }[] {
  const fixed: Pool2dShape[] = [
    // ENAS search-cell pool: 3×3 stride 1 'same'.
    { N: 2, C: 3, H: 6, W: 5, kernelSize: 3, stride: 1, padding: 'same' },
    // Stride 2 on odd sizes: the extra padding row/column goes at the bottom/right.
    { N: 2, C: 2, H: 7, W: 5, kernelSize: 3, stride: 2, padding: 'same' },
    // Stride 2 on even sizes: padding 0 before, 1 after.
    { N: 1, C: 2, H: 8, W: 6, kernelSize: 3, stride: 2, padding: 'same' },
    // 1×1 spatial, batch 1.
    { N: 1, C: 1, H: 1, W: 1, kernelSize: 3, stride: 1, padding: 'same' },
    { N: 1, C: 3, H: 1, W: 1, kernelSize: 3, stride: 2, padding: 'same' },
    // Input smaller than the window.
    { N: 2, C: 1, H: 2, W: 3, kernelSize: 3, stride: 2, padding: 'same' },
    { N: 1, C: 2, H: 2, W: 1, kernelSize: 3, stride: 1, padding: 'same' },
    // Auxiliary head: 5×5 stride 3 'valid' (8×8 → 2×2 on CIFAR), plus a tail no window covers (9 → 2).
    { N: 2, C: 2, H: 8, W: 8, kernelSize: 5, stride: 3, padding: 'valid' },
    { N: 1, C: 2, H: 9, W: 5, kernelSize: 5, stride: 3, padding: 'valid' },
  ];
  for (let i = 0; i < 3; i++) {
    fixed.push({
      N: rng.int(1, 2),
      C: rng.int(1, 3),
      H: rng.int(1, 9),
      W: rng.int(1, 9),
      kernelSize: 3,
      stride: rng.int(1, 2),
      padding: 'same',
    });
  }
  return fixed.map((shape) => ({
    label: `[${shape.N}, ${shape.C}, ${shape.H}, ${shape.W}] k${shape.kernelSize} s${shape.stride} ${shape.padding}`,
    shape,
  }));
}

export const inputSize = (s: Pool2dShape): number => s.N * s.C * s.H * s.W;
