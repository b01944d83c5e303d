export * from './matmul.js';
export * from './matmul-backward.js';
