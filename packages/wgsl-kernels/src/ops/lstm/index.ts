export * from './lstm-cell.js';
export * from './lstm-step.js';
