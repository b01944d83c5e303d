export * from './lstm-cell.js';
