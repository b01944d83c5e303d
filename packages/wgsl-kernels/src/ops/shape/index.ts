export * from './copy-channels.js';
export * from './pack-indexed.js';
export * from './pack-strided.js';
export * from './strided-sample.js';
