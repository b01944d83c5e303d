export * from './binary.js';
export * from './unary.js';
export * from './unary-ops.js';
