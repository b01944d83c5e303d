export * from './batchnorm.js';
export * from './batchnorm-backward.js';
export type { BatchNormShape } from './batchnorm-checks.js';
export * from './batchnorm-split.js';
