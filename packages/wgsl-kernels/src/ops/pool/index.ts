export * from './avg-pool.js';
export * from './avg-pool-backward.js';
export * from './global-avg-pool.js';
export * from './max-pool.js';
export * from './max-pool-backward.js';
export {
  type Pool2dGeometry,
  type Pool2dShape,
  type PoolAxis,
  type PoolPadding,
  pool2dGeometry,
  pool2dOutputShape,
  poolAxis,
} from './pool-geometry.js';
