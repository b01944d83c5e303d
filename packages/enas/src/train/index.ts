export * from './checkpoint-tensors.js';
export * from './fixed-training.js';
export * from './image-upload.js';
export * from './presets.js';
