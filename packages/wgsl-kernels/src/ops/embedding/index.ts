export * from './embedding.js';
