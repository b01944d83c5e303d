export * from './accuracy.js';
export * from './global-norm.js';
export * from './sum.js';
export * from './workgroup-sum.js';
