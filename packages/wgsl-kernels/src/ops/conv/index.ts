export {
  CONV_KERNEL_SIZES,
  CONV_STRIDES,
  type Conv2dShape,
  type ConvOutputSize,
  type ConvPadding,
  convOutputLength,
  convOutputSize,
  type DepthwiseConv2dShape,
} from './conv-shape.js';
export * from './conv2d.js';
export * from './conv2d-backward-bias.js';
export * from './conv2d-backward-input.js';
export * from './conv2d-backward-weight.js';
export * from './depthwise-conv2d.js';
export * from './depthwise-conv2d-backward-weight.js';
export { CONV_GEMM_VARIANTS, type ConvGemmVariant, chooseConvGemmVariant } from './implicit-gemm.js';
export { type SplitPlan, sumPartials } from './split-reduction.js';
