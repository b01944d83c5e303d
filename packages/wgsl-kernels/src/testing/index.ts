/** Test utilities shared by every package: `@enas-webgpu/wgsl-kernels/testing`. */

export * from '../util/rng.js';
export * from './compare.js';
export * from './gpu-harness.js';
