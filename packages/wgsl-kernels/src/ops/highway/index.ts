export * from './highway.js';
