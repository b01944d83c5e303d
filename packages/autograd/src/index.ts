/** @enas-webgpu/autograd */
export const PACKAGE = '@enas-webgpu/autograd';
