/**
 * Random ops: dropout, variational (time-shared) dropout and drop-path. Masks are never stored: the backward
 * regenerates them from the engine's GPU random state and the op's stream id (wgsl-kernels ops/random).
 */
import {
  dropoutBackward,
  dropout as dropoutKernel,
  dropPathBackward,
  dropPath as dropPathKernel,
  variationalDropoutBackward,
  variationalDropout as varKernel,
} from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { engineOf, record } from './record.js';

/** Inverted dropout: keeps each element with probability `keep`, scaled by 1/keep. keep = 1 returns x itself. */
export function dropout(x: Tensor, keep: number): Tensor {
  if (keep >= 1) return x;
  const e = engineOf(x);
  const stream = e.nextStream();
  const y = e.empty(x.shape, 'dropout');
  dropoutKernel(e.rec, { rng: e.rng, x: x.data, y: y.data }, x.size, { keep, stream });
  return record('dropout', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) dropoutBackward(e.rec, { rng: e.rng, dy: g.of(y), dx: dx.slice }, x.size, { keep, stream, accumulate: dx.accumulate });
  });
}

/** Dropout of a [T, B, H] sequence with one mask per (b, h), shared over time (Gal & Ghahramani; ENAS LM). */
export function variationalDropout(x: Tensor, keep: number): Tensor {
  if (keep >= 1) return x;
  if (x.shape.length !== 3) throw new Error(`variationalDropout: '${x.name}' must be [T, B, H], got [${x.shape.join(', ')}]`);
  const e = engineOf(x);
  const [T, B, H] = x.shape as [number, number, number];
  const stream = e.nextStream();
  const y = e.empty(x.shape, 'variationalDropout');
  varKernel(e.rec, { rng: e.rng, x: x.data, y: y.data }, { T, B, H }, { keep, stream });
  return record('variationalDropout', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) {
      variationalDropoutBackward(
        e.rec,
        { rng: e.rng, dy: g.of(y), dx: dx.slice },
        { T, B, H },
        { keep, stream, accumulate: dx.accumulate },
      );
    }
  });
}

/** Drops whole samples of a path [N, C, H, W] with probability 1 − keep, scaling kept ones by 1/keep. */
export function dropPath(x: Tensor, keep: number): Tensor {
  if (keep >= 1) return x;
  if (x.shape.length !== 4) throw new Error(`dropPath: '${x.name}' must be NCHW, got [${x.shape.join(', ')}]`);
  const e = engineOf(x);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const stream = e.nextStream();
  const y = e.empty(x.shape, 'dropPath');
  dropPathKernel(e.rec, { rng: e.rng, x: x.data, y: y.data }, { N, C, H, W }, { keep, stream });
  return record('dropPath', [x], y, (g) => {
    const dx = g.into(x);
    if (dx) dropPathBackward(e.rec, { rng: e.rng, dy: g.of(y), dx: dx.slice }, { N, C, H, W }, { keep, stream, accumulate: dx.accumulate });
  });
}
