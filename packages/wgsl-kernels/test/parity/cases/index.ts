/**
 * Every parity case, in the order they run (the same list in Node and in the browser page).
 *
 * ADDING A KERNEL FAMILY: write `test/parity/cases/<family>.ts` exporting `<family>Cases: ParityCase[]`, one
 * `parityCase({...})` per kernel (forward, backward, and each config that compiles different WGSL: accumulate,
 * kernel size, stride...), with tiny shapes (Chromium runs WebGPU on SwiftShader, on the CPU) and the family's
 * float64 reference; then add one line to the list below. Mark one case `arena: true` so aligned sub-slices
 * and the read_write pipeline variant are covered. Integer outputs (RNG bits, sampled indices) use
 * `{ count, type: 'u32' }` and must match exactly.
 */
import type { ParityCase } from '../parity-case.js';
import { elementwiseCases } from './elementwise.js';
import { matmulCases } from './matmul.js';

export const PARITY_CASES: readonly ParityCase[] = [
  ...elementwiseCases,
  ...matmulCases,
  // Families being written now (their folders under src/ops are theirs to name); one line each once on main:
  // ...convCases,        conv2d, depthwise, pointwise: forward, grad input, grad weight
  // ...poolCases,        max / average pooling, global average pooling: forward and backward
  // ...batchNormCases,   training statistics, inference, backward
  // ...optimizerCases,   SGD momentum / Nesterov, Adam, gradient clipping
  // ...rngCases,         u32 bits (exact match), dropout / drop-path masks
  // ...lstmCases,        the controller's LSTM cell, forward and backward
  // ...lossCases,        softmax cross-entropy, forward and backward
  // ...samplingCases,    categorical sampling from logits (exact indices)
];
