/**
 * @enas-webgpu/wgsl-kernels: a WebGPU device layer for Node (Dawn) and browsers, and hand-written WGSL kernels for
 * everything ENAS computes, forward and backward, each with a float64 CPU reference.
 *
 * Layout convention for the whole engine: activations are NCHW, row-major, f32.
 */
export * from './device/context.js';
export * from './device/debug.js';
export * from './device/gpu.js';
export * from './device/profiler.js';
export * from './kernel/grid.js';
export * from './kernel/kernel.js';
export * from './kernel/readback.js';
export * from './kernel/recorder.js';
export * from './kernel/slice.js';
export * from './kernel/uniforms.js';
// Operation families, one line each.
export * from './ops/augment/index.js';
export * from './ops/batchnorm/index.js';
export * from './ops/conv/index.js';
export * from './ops/elementwise/index.js';
export * from './ops/embedding/index.js';
export * from './ops/highway/index.js';
export * from './ops/loss/index.js';
export * from './ops/lstm/index.js';
export * from './ops/matmul/index.js';
export * from './ops/optim/index.js';
export * from './ops/pool/index.js';
export * from './ops/random/index.js';
export * from './ops/reduce/index.js';
export * from './ops/reinforce/index.js';
export * from './ops/sample/index.js';
export * from './ops/shape/index.js';
export * as reference from './reference.js';
export * from './util/rng.js';
