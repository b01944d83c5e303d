/** The float64 CPU references of every kernel, for tests of this and other packages. */
export * from './ops/conv/conv.reference.js';
export * from './ops/elementwise/binary.reference.js';
export * from './ops/elementwise/unary.reference.js';
export * from './ops/matmul/matmul.reference.js';
