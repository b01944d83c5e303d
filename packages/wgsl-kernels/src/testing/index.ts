/** Test utilities shared by every package: `@enas-webgpu/wgsl-kernels/testing`. */
export * from './compare.js';
export * from './gpu-harness.js';
export * from './rng.js';
