/**
 * @enas-webgpu/enas: ENAS search spaces, controllers, the GPU-resident shared-weight pool, search, derive and
 * retraining, on the autograd engine. Browser-safe: data arrives as bytes through a DataSource.
 */
export * from './arch/index.js';
export * from './cnn/blocks.js';
export * from './cnn/ops.js';
export * from './controller/index.js';
export * from './data/index.js';
export * from './fixed/index.js';
export * from './macro/controller.js';
export * from './macro/search-network.js';
export * from './macro/space.js';
export * from './micro/search-network.js';
export * from './micro/space.js';
export * from './pool/weight-pool.js';
export * from './rnn/index.js';
export * from './run/records.js';
export * from './run/search-checkpoint.js';
export * from './search/index.js';
export * from './train/index.js';
