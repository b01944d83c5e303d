/**
 * lstmStep (the fused gate product and cell) equals lstmCell(matmulConcat([x, h_prev], W), c_prev) in value and in
 * every gradient, against the float64 twin: two chained steps, so the first step's c gets a gradient from the
 * second. (W's h_prev block starts Kx·16H bytes in, a multiple of 16: on a device with 16-byte storage alignment
 * the fused path always runs; the fallback for coarser alignments is matmulConcat's, tested in matmul-concat.)
 */
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { lstmStep } from '../src/ops/sequence.js';
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

const rng = new Rng(12);

describe('lstmStep', () => {
  const cases = [
    // h_prev's rows of W start at row Kx = 8: 8·4H·4 bytes, bindable: one dispatch per step.
    { name: 'fused', B: 2, H: 6, Kx: 8 },
    // Odd sizes; W's h_prev block starts at 240 bytes (fused on 16-byte alignment, the fallback on coarser ones).
    { name: 'odd widths', B: 1, H: 5, Kx: 3 },
  ];
  for (const c of cases) {
    it(`${c.name}: two chained steps match the float64 twin, every gradient included`, async () => {
      const { B, H, Kx } = c;
      const v = {
        x1: rng.f32(B * Kx),
        x2: rng.f32(B * Kx),
        h0: rng.f32(B * H),
        c0: rng.f32(B * H),
        w: rng.f32((Kx + H) * 4 * H, -0.5, 0.5),
      };
      const shapes = { x1: [B, Kx], x2: [B, Kx], h0: [B, H], c0: [B, H], w: [Kx + H, 4 * H] } as const;
      const seed = rng.f32(B * H);

      const step = engine.beginStep('lstm-step');
      const p = Object.fromEntries(
        Object.entries(v).map(([k, d]) => [k, engine.parameter(d, shapes[k as keyof typeof shapes], k)]),
      ) as Record<keyof typeof v, Tensor>;
      const before = ctx.stats.dispatches;
      const [h1, c1] = lstmStep(p.x1, p.h0, p.c0, p.w);
      const bindable = (Kx * 4 * H * 4) % ctx.storageAlignment === 0;
      if (bindable) expect(ctx.stats.dispatches - before, 'one fused dispatch').toBe(1);
      const [h2] = lstmStep(p.x2, h1, c1, p.w);
      backward(h2, upload(ctx, seed));
      step.submit();
      await ctx.sync();

      const r = Object.fromEntries(Object.entries(v).map(([k, d]) => [k, f64.leaf(d, shapes[k as keyof typeof shapes])])) as Record<
        keyof typeof v,
        F64
      >;
      const refStep = (x: F64, h: F64, cell: F64) => f64.lstmCell(f64.matmul(f64.concatColumns([x, h]), r.w), cell);
      const [rh1, rc1] = refStep(r.x1, r.h0, r.c0);
      const [rh2] = refStep(r.x2, rh1, rc1);
      f64.backward(rh2, seed);

      expectClose(await download(ctx, h2.data, h2.size), rh2.data, { label: 'h2' });
      for (const k of Object.keys(v) as (keyof typeof v)[]) {
        expectClose(await download(ctx, (p[k].grad as Tensor).data, p[k].size), r[k].grad, { label: `grad ${k}` });
      }
    });
  }

  it('names a weight of the wrong width', () => {
    engine.beginStep('bad');
    const x = engine.parameter(rng.f32(4), [1, 4], 'x');
    const h = engine.parameter(rng.f32(4), [1, 4], 'h');
    const w = engine.parameter(rng.f32(8 * 12), [8, 12], 'w');
    expect(() => lstmStep(x, h, h, w)).toThrow(/lstmStep: 'w' has 12 columns; the gates of H = 4 units need 16/);
  });
});
