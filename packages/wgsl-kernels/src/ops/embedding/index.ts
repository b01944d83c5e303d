export * from './embedding.js';
export * from './masked-mean.js';
