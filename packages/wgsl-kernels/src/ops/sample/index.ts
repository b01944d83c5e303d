export * from './categorical-sample.js';
export * from './categorical-sample-backward.js';
