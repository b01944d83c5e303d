export * from './log-softmax.js';
export * from './softmax-cross-entropy.js';
