export * from './fixed-training.js';
export * from './image-upload.js';
export * from './presets.js';
export * from './train-checkpoint.js';
