export * from './decision-log.js';
export * from './lstm-controller.js';
export * from './micro-controller.js';
export * from './row-decision-log.js';
