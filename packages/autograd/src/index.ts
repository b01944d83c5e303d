/**
 * @enas-webgpu/autograd: GPU tensors, a tape, layers and optimizers on WebGPU.
 * A training step is one command encoder and one submit; temporaries live in arenas reset every step.
 */
export * from './engine.js';
export * from './io/safetensors.js';
export * from './io/tensor-transfer.js';
export * from './memory/parameter-group.js';
export * from './memory/persistent-store.js';
export * from './memory/region.js';
export * from './nn/init.js';
export * from './nn/layers.js';
export * from './nn/module.js';
export * from './ops/batchnorm.js';
export * from './ops/conv.js';
export * from './ops/elementwise.js';
export * from './ops/loss.js';
export * from './ops/matmul.js';
export * from './ops/pool.js';
export * from './ops/random.js';
export * from './ops/record.js';
export * from './ops/reduce.js';
export * from './ops/sequence.js';
export * from './ops/shape.js';
export * from './optim/adam.js';
export * from './optim/optimizer.js';
export * from './optim/schedules.js';
export * from './optim/sgd.js';
export * from './tape.js';
export * from './tensor.js';
