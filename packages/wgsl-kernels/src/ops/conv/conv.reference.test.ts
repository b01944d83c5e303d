import { describe, it } from 'vitest';
import { dot, expectClose, finiteDifferences, Rng } from '../../testing/index.js';
import { conv2dBackwardRef, conv2dRef, depthwiseConv2dBackwardRef, depthwiseConv2dRef } from './conv.reference.js';
import { type Conv2dShape, convOutputSize, type DepthwiseConv2dShape } from './conv-shape.js';

const rng = new Rng(3);
const f64 = (n: number) => Float64Array.from(rng.f32(n));

describe('conv2d reference', () => {
  it('matches hand-computed TensorFlow results (3×3 ones over 1..9 and 1..16)', () => {
    const ones = new Float64Array(9).fill(1);
    const same = { N: 1, Cin: 1, H: 3, W: 3, Cout: 1, k: 3, stride: 1, padding: 'same' } as const;
    const y = conv2dRef(
      Float64Array.from({ length: 9 }, (_, i) => i + 1),
      ones,
      same,
    );
    // Each output sums its 3×3 neighbourhood: corners see 4 pixels, edges 6, the centre all 9.
    expectClose(y, [12, 21, 16, 27, 45, 33, 24, 39, 28], { rtol: 1e-12, label: 'same stride 1' });
    // 4×4 at stride 2: out 2×2, pad_total 1, all of it below/right (TensorFlow), so windows start at rows 0, 2.
    const strided = { ...same, H: 4, W: 4, stride: 2 };
    const y2 = conv2dRef(
      Float64Array.from({ length: 16 }, (_, i) => i + 1),
      ones,
      strided,
    );
    expectClose(y2, [54, 45, 72, 54], { rtol: 1e-12, label: 'same stride 2' });
  });

  const shapes: Conv2dShape[] = [
    { N: 2, Cin: 3, H: 5, W: 4, Cout: 2, k: 3, stride: 2, padding: 'same' },
    { N: 1, Cin: 2, H: 4, W: 5, Cout: 3, k: 2, stride: 1, padding: 'same' },
    { N: 2, Cin: 2, H: 6, W: 5, Cout: 2, k: 5, stride: 2, padding: 'valid' },
    { N: 1, Cin: 3, H: 1, W: 1, Cout: 2, k: 3, stride: 1, padding: 'same' },
    { N: 2, Cin: 4, H: 3, W: 3, Cout: 3, k: 1, stride: 2, padding: 'same' },
  ];
  it.each(shapes)('backward matches finite differences on %o', (shape) => {
    const o = convOutputSize(shape);
    const x = f64(shape.N * shape.Cin * shape.H * shape.W);
    const w = f64(shape.Cout * shape.Cin * shape.k * shape.k);
    const b = f64(shape.Cout);
    const dy = f64(shape.N * shape.Cout * o.Hout * o.Wout);
    const ref = conv2dBackwardRef(x, w, dy, shape);
    expectClose(
      ref.dx,
      finiteDifferences((v) => dot(conv2dRef(v, w, shape, b), dy), x),
      { rtol: 1e-6, label: 'dx fd' },
    );
    expectClose(
      ref.dw,
      finiteDifferences((v) => dot(conv2dRef(x, v, shape, b), dy), w),
      { rtol: 1e-6, label: 'dw fd' },
    );
    expectClose(
      ref.db,
      finiteDifferences((v) => dot(conv2dRef(x, w, shape, v), dy), b),
      { rtol: 1e-6, label: 'db fd' },
    );
  });
});

describe('depthwise conv2d reference', () => {
  it('equals conv2d with one input channel per output channel', () => {
    const shape: DepthwiseConv2dShape = { N: 2, C: 3, H: 5, W: 4, k: 3, stride: 2, padding: 'same' };
    const x = f64(2 * 3 * 5 * 4);
    const w = f64(3 * 9);
    const y = depthwiseConv2dRef(x, w, shape);
    // The same result from conv2d on one channel at a time.
    const plane = (t: Float64Array, b: number, c: number, size: number) => t.subarray((b * 3 + c) * size, (b * 3 + c + 1) * size);
    const single = { N: 1, Cin: 1, Cout: 1, H: 5, W: 4, k: 3, stride: 2, padding: 'same' } as const;
    const o = convOutputSize(single);
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 3; c++) {
        const expected = conv2dRef(plane(x, b, c, 20), w.subarray(c * 9, c * 9 + 9), single);
        expectClose(plane(y, b, c, o.Hout * o.Wout), expected, { rtol: 1e-12, label: `plane ${b},${c}` });
      }
    }
  });

  const shapes: DepthwiseConv2dShape[] = [
    { N: 2, C: 3, H: 5, W: 6, k: 3, stride: 2, padding: 'same' },
    { N: 1, C: 2, H: 4, W: 4, k: 5, stride: 1, padding: 'same' },
    { N: 2, C: 2, H: 7, W: 5, k: 4, stride: 2, padding: 'same' },
    { N: 1, C: 2, H: 6, W: 7, k: 3, stride: 2, padding: 'valid' },
  ];
  it.each(shapes)('backward matches finite differences on %o', (shape) => {
    const o = convOutputSize(shape);
    const x = f64(shape.N * shape.C * shape.H * shape.W);
    const w = f64(shape.C * shape.k * shape.k);
    const dy = f64(shape.N * shape.C * o.Hout * o.Wout);
    const ref = depthwiseConv2dBackwardRef(x, w, dy, shape);
    expectClose(
      ref.dx,
      finiteDifferences((v) => dot(depthwiseConv2dRef(v, w, shape), dy), x),
      { rtol: 1e-6, label: 'dx fd' },
    );
    expectClose(
      ref.dw,
      finiteDifferences((v) => dot(depthwiseConv2dRef(x, v, shape), dy), w),
      { rtol: 1e-6, label: 'dw fd' },
    );
  });
});
