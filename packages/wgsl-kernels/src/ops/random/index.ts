export * from './dropout.js';
export * from './philox.js';
export * from './random-fill.js';
export * from './rng-state.js';
