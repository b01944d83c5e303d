export * from './adam.js';
export * from './clip.js';
export * from './hyper.js';
export * from './sgd.js';
export * from './update-kernel.js';
