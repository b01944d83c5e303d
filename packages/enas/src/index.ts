/** @enas-webgpu/enas */
export * from './arch/index.js';
