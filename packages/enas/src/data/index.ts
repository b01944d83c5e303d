export * from './cifar10.js';
export * from './data-source.js';
export * from './labeled-images.js';
export * from './mnist.js';
export { loadMnistPackageDigits } from './mnist-package.js';
export * from './ptb.js';
export * from './token-batches.js';
