/** @enas-webgpu/enas */
export const PACKAGE = '@enas-webgpu/enas';
