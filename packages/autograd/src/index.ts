/** @enas-webgpu/autograd */
export const PACKAGE = '@enas-webgpu/autograd';
export * from './io/safetensors.js';
