/** The float64 CPU references of every kernel, for tests of this and other packages. */
export * from './ops/batchnorm/batchnorm.reference.js';
export * from './ops/elementwise/binary.reference.js';
export * from './ops/elementwise/unary.reference.js';
export * from './ops/embedding/embedding.reference.js';
export * from './ops/highway/highway.reference.js';
export * from './ops/loss/loss.reference.js';
export * from './ops/lstm/lstm-cell.reference.js';
export * from './ops/matmul/matmul.reference.js';
export * from './ops/pool/avg-pool.reference.js';
export * from './ops/pool/global-avg-pool.reference.js';
export * from './ops/pool/max-pool.reference.js';
export * from './ops/shape/copy-channels.reference.js';
export * from './ops/shape/strided-sample.reference.js';
export * from './ops/optim/optim.reference.js';
export * from './ops/reduce/reduce.reference.js';
export * from './ops/random/random.reference.js';
export * from './ops/sample/sample.reference.js';
