/** @enas-webgpu/enas */
export * from './arch/index.js';
export * from './controller/index.js';
export * from './data/index.js';
export * from './rnn/index.js';
