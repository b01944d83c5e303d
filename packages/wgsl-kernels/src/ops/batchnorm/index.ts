export * from './batchnorm.js';
export * from './batchnorm-backward.js';
export * from './batchnorm-checks.js';
