export * from './cnn-search.js';
export * from './image-batcher.js';
export * from './search-space.js';
