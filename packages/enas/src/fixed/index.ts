export * from './drop-path.js';
export * from './fixed-config.js';
export * from './fixed-network.js';
export * from './macro-network.js';
export * from './micro-network.js';
export * from './network-cost.js';
