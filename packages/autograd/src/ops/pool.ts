/** Pooling: max and average (TF 'same'/'valid' geometry, padding excluded from averages) and global average. */
import {
  avgPool2dBackward,
  avgPool2d as avgPoolKernel,
  globalAvgPoolBackward,
  globalAvgPool as globalAvgPoolKernel,
  maxPool2dBackward,
  maxPool2d as maxPoolKernel,
  type PoolPadding,
  pool2dOutputShape,
} from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

export interface PoolOptions {
  kernelSize: number;
  stride: number;
  padding: PoolPadding;
}

function nchw(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw new Error(`${op}: '${x.name}' must be NCHW (4-D), got [${x.shape.join(', ')}]`);
  return x.shape as unknown as [number, number, number, number];
}

export function maxPool2d(x: Tensor, o: PoolOptions): Tensor {
  const e = engineOf(x);
  const [N, C, H, W] = nchw('maxPool2d', x);
  const shape = { N, C, H, W, ...o };
  const y = e.empty(pool2dOutputShape(shape), 'maxPool2d');
  // The forward saves each window's argmax so the backward routes gradients exactly where the max came from.
  const argmax = e.gradEnabled && x.requiresGrad ? e.allocTemporary(y.size * 4, 'maxPool2d.argmax') : undefined;
  maxPoolKernel(e.rec, { x: x.data, y: y.data, argmax }, shape);
  return record('maxPool2d', [x], y, (g) => {
    const dx = g.into(x);
    if (dx && argmax) maxPool2dBackward(e.rec, { dy: g.of(y), argmax, dx: dx.slice }, shape, dx.accumulate);
  });
}

export function avgPool2d(x: Tensor, o: PoolOptions): Tensor {
  const e = engineOf(x);
  const [N, C, H, W] = nchw('avgPool2d', x);
  const shape = { N, C, H, W, ...o };
  const y = e.empty(pool2dOutputShape(shape), 'avgPool2d');
  avgPoolKernel(e.rec, { x: x.data, y: y.data }, shape);
  return record('avgPool2d', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) avgPool2dBackward(e.rec, { dy: g.of(y), dx: dx.slice }, shape, dx.accumulate);
  });
}

/** [N, C, H, W] → [N, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  const e = engineOf(x);
  const [N, C, H, W] = nchw('globalAvgPool', x);
  const shape = { N, C, H, W };
  const y = e.empty([N, C], 'globalAvgPool');
  globalAvgPoolKernel(e.rec, { x: x.data, y: y.data }, shape);
  return record('globalAvgPool', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) globalAvgPoolBackward(e.rec, { dy: g.of(y), dx: dx.slice }, shape, dx.accumulate);
  });
}
