/**
 * matmulConcat([a_1, a_2, …], W) equals matmul(concat(a_i), W) in value and in every gradient, against the float64
 * twin, both where W's row blocks can be bound in place (two accumulating products) and where their offsets are not
 * bindable (the concatenating fallback); a block used twice accumulates its gradient.
 */
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { matmulConcat } from '../src/ops/matmul.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { f64 } from '../src/testing/reference-graph.js';

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

const rng = new Rng(11);

describe('matmulConcat', () => {
  const M = 3;
  const cases = [
    // W's second block starts at row 8: 8·12·4 = 384 bytes, bindable wherever the alignment divides it.
    { name: 'blocks bound in place', widths: [8, 8], N: 12, repeatFirst: false },
    // Row 5 of a 3-column W: 60 bytes, never a multiple of the (≥ 16-byte) storage alignment.
    { name: 'unaligned blocks (concatenating fallback)', widths: [5, 7], N: 3, repeatFirst: false },
    { name: 'a block used twice', widths: [8, 8, 8], N: 4, repeatFirst: true },
  ];
  for (const c of cases) {
    it(`${c.name}: output and gradients match the float64 concatenation`, async () => {
      const K = c.widths.reduce((a, b) => a + b, 0);
      const blockValues = c.widths.map((k) => rng.f32(M * k));
      if (c.repeatFirst) blockValues[1] = blockValues[0] as Float32Array;
      const wValues = rng.f32(K * c.N);
      const seed = rng.f32(M * c.N);

      const step = engine.beginStep('matmul-concat');
      const made = c.widths.map((k, i) => engine.parameter(blockValues[i] as Float32Array, [M, k], `a${i}`));
      const blocks = c.repeatFirst ? [made[0], made[0], made[2]] : made;
      const w = engine.parameter(wValues, [K, c.N], 'w');
      const before = ctx.stats.dispatches;
      const y = matmulConcat(blocks as Tensor[], w);
      const forwardDispatches = ctx.stats.dispatches - before;
      backward(y, upload(ctx, seed));
      step.submit();
      await ctx.sync();

      const aligned = c.widths.every((_, i) => (c.widths.slice(0, i).reduce((a, b) => a + b, 0) * c.N * 4) % ctx.storageAlignment === 0);
      if (aligned) expect(forwardDispatches, 'one accumulating product per block').toBe(c.widths.length);

      const rBlocks = made.map((_, i) => f64.leaf(blockValues[i] as Float32Array, [M, c.widths[i] as number]));
      const rUsed = c.repeatFirst ? [rBlocks[0], rBlocks[0], rBlocks[2]] : rBlocks;
      const rw = f64.leaf(wValues, [K, c.N]);
      const ry = f64.matmul(f64.concatColumns(rUsed as typeof rBlocks), rw);
      f64.backward(ry, seed);

      expectClose(await download(ctx, y.data, y.size), ry.data, { label: 'output' });
      expectClose(await download(ctx, (w.grad as Tensor).data, w.size), rw.grad, { label: 'grad W' });
      for (const [i, t] of made.entries()) {
        if (c.repeatFirst && i === 1) continue; // made[1] is not used
        expectClose(await download(ctx, (t.grad as Tensor).data, t.size), (rBlocks[i] as (typeof rBlocks)[0]).grad, {
          label: `grad a${i}`,
        });
      }
    });
  }

  it('names the mismatch when the blocks do not add up to W', () => {
    engine.beginStep('bad');
    const a = engine.parameter(rng.f32(6), [2, 3], 'a');
    const w = engine.parameter(rng.f32(8), [4, 2], 'w');
    expect(() => matmulConcat([a], w)).toThrow(/blocks of widths \[3\] \(Σ 3\) do not match 'w' \[4, 2\]/);
  });
});
