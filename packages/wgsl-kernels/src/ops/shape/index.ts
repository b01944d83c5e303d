export * from './copy-channels.js';
export * from './strided-sample.js';
