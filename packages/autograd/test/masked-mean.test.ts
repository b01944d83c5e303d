/**
 * maskedMean as the macro controller uses it: rows with gradients, a mask of decisions on the GPU, the result used
 * twice downstream and the rows also used elsewhere (so the gradient accumulates). Forward and every gradient
 * against the float64 twin.
 */
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { add, tanh } from '../src/ops/elementwise.js';
import { matmul } from '../src/ops/matmul.js';
import { maskedMean } from '../src/ops/sequence.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { type F64, f64 } from '../src/testing/reference-graph.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx);
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const rng = new Rng(31);
const [B, D] = [5, 7];

function model<T>(
  o: { maskedMean: (r: T, m: number[]) => T; tanh: (x: T) => T; add: (a: T, b: T) => T; matmul: (a: T, b: T) => T },
  rows: T,
  w: T,
  mask: number[],
): T {
  const mean = o.maskedMean(o.tanh(rows), mask); // [1, D]
  return o.add(
    o.matmul(mean, w),
    o.matmul(
      o.maskedMean(
        rows,
        mask.map((m) => 1 - m),
      ),
      w,
    ),
  );
}

describe('maskedMean (autograd)', () => {
  it.each([[[1, 0, 1, 1, 0]], [[0, 0, 0, 0, 0]]])('forward and gradients match the float64 twin, mask %j', async (mask) => {
    const rowValues = rng.f32(B * D);
    const wValues = rng.f32(D * 3);
    const seed = rng.f32(3);
    const step = engine.beginStep('masked-mean');
    const rows = engine.parameter(rowValues, [B, D], 'rows');
    const w = engine.parameter(wValues, [D, 3], 'w');
    const y = model<Tensor>(
      { maskedMean: (r, m) => maskedMean(r, engine.input(Uint32Array.from(m), [B], 'mask'), 1), tanh, add, matmul },
      rows,
      w,
      mask,
    );
    expect(y.shape).toEqual([1, 3]);
    backward(y, upload(ctx, seed));
    const out = step.read(y);
    step.submit();

    const rRows = f64.leaf(rowValues, [B, D]);
    const rW = f64.leaf(wValues, [D, 3]);
    const ry = model<F64>(
      {
        maskedMean: (r, m) => f64.maskedMean(r, m, 1),
        tanh: (x) => f64.activation('tanh', x),
        add: f64.add,
        matmul: (a, b) => f64.matmul(a, b),
      },
      rRows,
      rW,
      mask,
    );
    f64.backward(ry, seed);
    expectClose(await out, ry.data, { label: 'y' });
    expectClose(await download(ctx, (rows.grad as Tensor).data, B * D), rRows.grad, { label: 'd rows' });
    expectClose(await download(ctx, (w.grad as Tensor).data, D * 3), rW.grad, { label: 'd w' });
  });

  it('rejects a mask of the wrong length', () => {
    engine.beginStep('bad');
    const rows = engine.input(new Float32Array(6), [3, 2], 'rows');
    expect(() => maskedMean(rows, engine.input(Uint32Array.of(1, 0), [2], 'mask'))).toThrow(
      /maskedMean: mask 'mask' has 2 values for 3 rows/,
    );
  });
});
