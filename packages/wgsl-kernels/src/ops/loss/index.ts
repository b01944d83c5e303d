export * from './log-softmax.js';
export * from './row-reduce.js';
export * from './softmax-cross-entropy.js';
