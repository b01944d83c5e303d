export * from './cifar-augment.js';
