import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { download, expectClose, finiteDifferences, poisoned, Rng, runOnGpu, testContext, upload } from '../../testing/index.js';
import { chooseMatmulVariant, type MatmulShape, type MatmulVariant, matmul, resolveMatmulShape } from './matmul.js';
import { matmulBackwardRef, matmulRef } from './matmul.reference.js';
import { matmulBackward } from './matmul-backward.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

// Matmul sums K products in f32; for the K used here (< 100) 1e-4 relative holds with margin.
const RTOL = 1e-4;
const VARIANTS: MatmulVariant[] = ['tiled', 'tiled128', 'register', 'simple'];
const rng = new Rng(2024);

function sizes(s: MatmulShape) {
  const r = resolveMatmulShape(s);
  return {
    a: (r.batch - 1) * r.strideA + r.M * r.K,
    b: (r.batch - 1) * r.strideB + r.K * r.N,
    c: (r.batch - 1) * r.strideC + r.M * r.N,
  };
}

/** Shapes that are not multiples of any tile, 1×1 edges, batches, and a broadcast B. */
function randomShapes(): MatmulShape[] {
  const shapes: MatmulShape[] = [
    { M: 1, N: 1, K: 1 },
    { M: 1, N: 7, K: 5 },
    { M: 67, N: 65, K: 17 },
    { M: 3, N: 70, K: 33, batch: 2 },
    { M: 20, N: 9, K: 12, batch: 3, strideB: 0 },
    // More than one 128×128 tile in each direction, ragged.
    { M: 131, N: 258, K: 11 },
  ];
  for (let i = 0; i < 3; i++) {
    shapes.push({ M: rng.int(1, 80), N: rng.int(1, 80), K: rng.int(1, 40), batch: rng.int(1, 2) });
  }
  return shapes;
}

/**
 * tiled128 binds vec4 operands, so its shapes have M, N, K multiples of 4 but not of its tiles (128 × 128 × 8):
 * ragged tiles in every direction, K slices that end half-full, several slices (the register prefetch), batches.
 */
function vec4Shapes(): MatmulShape[] {
  const shapes: MatmulShape[] = [
    { M: 4, N: 4, K: 4 },
    { M: 68, N: 132, K: 20 },
    { M: 4, N: 8, K: 36, batch: 2 },
    { M: 20, N: 8, K: 12, batch: 3, strideB: 0 },
    { M: 132, N: 260, K: 12 },
  ];
  for (let i = 0; i < 2; i++) {
    shapes.push({ M: 4 * rng.int(1, 40), N: 4 * rng.int(1, 40), K: 4 * rng.int(1, 12), batch: rng.int(1, 2) });
  }
  return shapes;
}

describe.each(VARIANTS)('matmul %s', (variant) => {
  for (const base of variant === 'tiled128' ? vec4Shapes() : randomShapes()) {
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const shape = { ...base, transA, transB };
      it(`forward ${JSON.stringify(shape)}`, async () => {
        const n = sizes(shape);
        const a = rng.f32(n.a);
        const b = rng.f32(n.b);
        const bias = rng.f32(shape.N);
        const c = poisoned(ctx, n.c);
        await runOnGpu(ctx, (rec) => matmul(rec, { a: upload(ctx, a), b: upload(ctx, b), c, bias: upload(ctx, bias) }, shape, { variant }));
        expectClose(await download(ctx, c, n.c), matmulRef(a, b, shape, bias), { rtol: RTOL, label: `matmul ${variant}` });
      });
    }
  }

  it('accumulates into C', async () => {
    const shape = variant === 'tiled128' ? { M: 36, N: 68, K: 12 } : { M: 33, N: 66, K: 9 };
    const n = sizes(shape);
    const a = rng.f32(n.a);
    const b = rng.f32(n.b);
    const prior = rng.f32(n.c);
    const c = upload(ctx, prior);
    await runOnGpu(ctx, (rec) => matmul(rec, { a: upload(ctx, a), b: upload(ctx, b), c }, shape, { variant, accumulate: true }));
    const expected = matmulRef(a, b, shape).map((v, i) => v + (prior[i] as number));
    expectClose(await download(ctx, c, n.c), expected, { rtol: RTOL, label: 'accumulate' });
  });
});

describe('matmul backward', () => {
  for (const base of randomShapes()) {
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const shape = { ...base, transA, transB };
      const broadcastTransposedA = shape.strideB === 0 && transA;
      it(`gradients ${JSON.stringify(shape)}`, async () => {
        const n = sizes(shape);
        const a = rng.f32(n.a);
        const b = rng.f32(n.b);
        const dc = rng.f32(n.c);
        const [da, db, dbias] = [poisoned(ctx, n.a), poisoned(ctx, n.b), poisoned(ctx, shape.N)];
        const record = () =>
          runOnGpu(ctx, (rec) => matmulBackward(rec, { a: upload(ctx, a), b: upload(ctx, b), dc: upload(ctx, dc), da, db, dbias }, shape));
        if (broadcastTransposedA) {
          await expect(record()).rejects.toThrow(/broadcast B needs a non-transposed A/);
          return;
        }
        await record();
        const ref = matmulBackwardRef(a, b, dc, shape);
        expectClose(await download(ctx, da, n.a), ref.da, { rtol: RTOL, label: 'dA' });
        expectClose(await download(ctx, db, n.b), ref.db, { rtol: RTOL, label: 'dB' });
        expectClose(await download(ctx, dbias, shape.N), ref.dbias, { rtol: RTOL, label: 'dbias' });
      });
    }
  }

  it('reference gradients match finite differences', () => {
    const shape = { M: 3, N: 4, K: 5, batch: 2, transA: true, strideB: 0 };
    const n = sizes(shape);
    const a = Float64Array.from(rng.f32(n.a));
    const b = Float64Array.from(rng.f32(n.b));
    const bias = Float64Array.from(rng.f32(shape.N));
    const dc = Float64Array.from(rng.f32(n.c));
    const ref = matmulBackwardRef(a, b, dc, shape);
    const loss = (x: Float64Array, y: Float64Array, z: Float64Array) =>
      matmulRef(x, y, shape, z).reduce((s, v, i) => s + v * (dc[i] as number), 0);
    expectClose(
      ref.da,
      finiteDifferences((x) => loss(x, b, bias), a),
      { rtol: 1e-6, label: 'dA fd' },
    );
    expectClose(
      ref.db,
      finiteDifferences((y) => loss(a, y, bias), b),
      { rtol: 1e-6, label: 'dB fd' },
    );
    expectClose(
      ref.dbias,
      finiteDifferences((z) => loss(a, b, z), bias),
      { rtol: 1e-6, label: 'dbias fd' },
    );
  });
});

describe('matmul bad input', () => {
  it('names the operand and the shape when a buffer is too small', async () => {
    const a = upload(ctx, rng.f32(10));
    await expect(runOnGpu(ctx, (rec) => matmul(rec, { a, b: a, c: poisoned(ctx, 100) }, { M: 4, N: 4, K: 4 }))).rejects.toThrow(
      /operand A holds 10 floats but shape M=4 N=4 K=4/,
    );
  });

  it('refuses tiled128 on a shape its vec4 operands cannot hold', async () => {
    const a = upload(ctx, rng.f32(64));
    await expect(
      runOnGpu(ctx, (rec) =>
        matmul(rec, { a, b: upload(ctx, rng.f32(64)), c: poisoned(ctx, 64) }, { M: 8, N: 8, K: 6 }, { variant: 'tiled128' }),
      ),
    ).rejects.toThrow(/tiled128 .* multiples of 4; got M=8 N=8 K=6 .* use variant 'tiled'/);
  });

  it('chooses tiled128 on a GPU only for large vec4-compatible products', () => {
    const gpu = { adapter: { isFallbackOrSoftware: false } } as GpuContext;
    expect(chooseMatmulVariant(gpu, { M: 4096, N: 4096, K: 4096 })).toBe('tiled128');
    expect(chooseMatmulVariant(gpu, { M: 4096, N: 4096, K: 4095 })).toBe('tiled');
    expect(chooseMatmulVariant(gpu, { M: 512, N: 512, K: 512 })).toBe('tiled');
    expect(chooseMatmulVariant(gpu, { M: 1, N: 128, K: 64 })).toBe('simple');
    expect(chooseMatmulVariant(ctx, { M: 4096, N: 4096, K: 4096 })).toBe(ctx.adapter.isFallbackOrSoftware ? 'register' : 'tiled128');
  });

  it('rejects non-positive dimensions', () => {
    expect(() => resolveMatmulShape({ M: 0, N: 2, K: 2 })).toThrow(/M = 0/);
  });
});
