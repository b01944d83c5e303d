/** Test utilities: `@enas-webgpu/autograd/testing` (a float64 twin of the autograd ops, for gradient checks). */
export * from './reference-graph.js';
