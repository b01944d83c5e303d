export { ArchitectureError, type SearchSpace } from './arc-tokens.js';
export * from './architecture.js';
export * from './draw/index.js';
export * from './macro.js';
export * from './micro.js';
export * from './published.js';
export * from './rnn.js';
export * from './uniform-sample.js';
