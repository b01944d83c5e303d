import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, finiteDifferences, Rng, testContext, upload } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { add, mul, relu, scale, sigmoid, sub, tanh } from '../src/ops/elementwise.js';
import { linear, matmul } from '../src/ops/matmul.js';
import { backward } from '../src/tape.js';
import type { Tensor } from '../src/tensor.js';
import { type F64, f64 } from '../src/testing/reference-graph.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx);
});
afterEach(() => engine.abortStep()); // a failed test must not leave its step open for the next
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const rng = new Rng(7);

/** A small MLP with a residual product, written once for the GPU and once for float64. */
function mlp<T>(
  ops: {
    linear: (x: T, w: T, b: T) => T;
    relu: (x: T) => T;
    tanh: (x: T) => T;
    sigmoid: (x: T) => T;
    add: (a: T, b: T) => T;
    sub: (a: T, b: T) => T;
    mul: (a: T, b: T) => T;
    scale: (x: T, a: number) => T;
    matmulTT: (a: T, b: T) => T;
  },
  p: { x: T; w1: T; b1: T; w2: T; b2: T; w3: T },
): T {
  const h = ops.relu(ops.linear(p.x, p.w1, p.b1)); // [B, H]
  const z = ops.linear(h, p.w2, p.b2); // [B, H]
  const gated = ops.mul(ops.sigmoid(z), ops.tanh(h)); // h used twice: gradients accumulate
  const mixed = ops.sub(ops.add(gated, ops.scale(h, 0.5)), z);
  return ops.matmulTT(p.w3, mixed); // w3ᵀ·mixedᵀ = [O, B], both operands read transposed
}

describe('autograd engine: MLP against float64', () => {
  const [B, I, H, O] = [5, 7, 9, 3];
  const values = {
    x: rng.f32(B * I),
    w1: rng.f32(I * H),
    b1: rng.f32(H),
    w2: rng.f32(H * H),
    b2: rng.f32(H),
    w3: rng.f32(H * O),
  };
  const shapes = { x: [B, I], w1: [I, H], b1: [H], w2: [H, H], b2: [H], w3: [H, O] } as const;
  const seed = rng.f32(O * B);

  it('forward output and every parameter gradient match', async () => {
    const step = engine.beginStep('mlp');
    const params: Record<string, Tensor> = {};
    for (const k of Object.keys(shapes) as (keyof typeof shapes)[]) {
      params[k] = k === 'x' ? engine.input(values[k], shapes[k], k) : engine.parameter(values[k], shapes[k], k);
    }
    const p = params as { x: Tensor; w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor; w3: Tensor };
    const y = mlp<Tensor>(
      { linear, relu, tanh, sigmoid, add, sub, mul, scale, matmulTT: (a, b) => matmul(a, b, { transA: true, transB: true }) },
      p,
    );
    expect(y.shape).toEqual([O, B]);
    const seedSlice = upload(ctx, seed);
    backward(y, seedSlice);
    step.submit();
    await ctx.sync();

    const r: Record<string, F64> = {};
    for (const k of Object.keys(shapes) as (keyof typeof shapes)[]) r[k] = f64.leaf(values[k], shapes[k]);
    const rp = r as { x: F64; w1: F64; b1: F64; w2: F64; b2: F64; w3: F64 };
    const ry = mlp<F64>(
      {
        linear: (x, w, b) => f64.matmul(x, w, {}, b),
        relu: (x) => f64.activation('relu', x),
        tanh: (x) => f64.activation('tanh', x),
        sigmoid: (x) => f64.activation('sigmoid', x),
        add: f64.add,
        sub: f64.sub,
        mul: f64.mul,
        scale: f64.scale,
        matmulTT: (a, b) => f64.matmul(a, b, { transA: true, transB: true }),
      },
      rp,
    );
    f64.backward(ry, seed);

    expectClose(await download(ctx, y.data, y.size), ry.data, { label: 'output' });
    for (const k of ['w1', 'b1', 'w2', 'b2', 'w3'] as const) {
      const g = p[k].grad;
      expect(g, `gradient of ${k}`).toBeDefined();
      expectClose(await download(ctx, (g as Tensor).data, g?.size), rp[k].grad, { label: `grad ${k}` });
    }
  });

  it('the float64 model gradient matches finite differences', () => {
    const build = (w1: Float64Array) => {
      const rp = {
        x: f64.leaf(values.x, shapes.x),
        w1: f64.leaf(w1, shapes.w1),
        b1: f64.leaf(values.b1, shapes.b1),
        w2: f64.leaf(values.w2, shapes.w2),
        b2: f64.leaf(values.b2, shapes.b2),
        w3: f64.leaf(values.w3, shapes.w3),
      };
      const out = mlp<F64>(
        {
          linear: (x, w, b) => f64.matmul(x, w, {}, b),
          relu: (x) => f64.activation('relu', x),
          tanh: (x) => f64.activation('tanh', x),
          sigmoid: (x) => f64.activation('sigmoid', x),
          add: f64.add,
          sub: f64.sub,
          mul: f64.mul,
          scale: f64.scale,
          matmulTT: (a, b) => f64.matmul(a, b, { transA: true, transB: true }),
        },
        rp,
      );
      return { rp, out };
    };
    const w1 = Float64Array.from(values.w1);
    const { rp, out } = build(w1);
    f64.backward(out, seed);
    const loss = (w: Float64Array) => build(w).out.data.reduce((s, v, i) => s + v * (seed[i] as number), 0);
    expectClose(rp.w1.grad, finiteDifferences(loss, w1), { rtol: 1e-5, label: 'w1 finite differences' });
  });
});

describe('engine memory and steps', () => {
  it('places a repeated computation at the same offsets and stops allocating once warm', async () => {
    const w = engine.parameter(rng.f32(16 * 16), [16, 16], 'w');
    const offsets: number[] = [];
    let bytesAfterFirst = 0;
    for (let s = 0; s < 5; s++) {
      const step = engine.beginStep('repeat');
      const x = engine.input(rng.f32(4 * 16), [4, 16], 'x');
      const y = relu(matmul(x, w));
      backward(y, engine.input(rng.f32(4 * 16), [4, 16], 'seed').data);
      offsets.push(y.data.offset);
      step.submit();
      if (s === 0) bytesAfterFirst = ctx.stats.bytesAllocated;
    }
    await ctx.sync();
    expect(new Set(offsets).size).toBe(1);
    expect(ctx.stats.bytesAllocated).toBe(bytesAfterFirst);
  });

  it('refuses to use a temporary from an earlier step', () => {
    const step = engine.beginStep('a');
    const t = engine.input(new Float32Array(4), [4], 'old');
    step.submit();
    engine.beginStep('b').submit();
    expect(() => t.data).toThrow(/made in step .* persistent tensors/);
  });

  it('refuses to open a step while one is open, and to record outside a step', () => {
    const step = engine.beginStep('open');
    expect(() => engine.beginStep('second')).toThrow(/still open/);
    step.submit();
    expect(() => engine.rec).toThrow(/no step is open/);
  });

  it('accounts the host time of recording each kind of step', () => {
    const before = engine.recordingTime.get('timed')?.steps ?? 0;
    for (let i = 0; i < 3; i++) {
      const step = engine.beginStep('timed');
      relu(engine.input(Float32Array.from([1, -2]), [2], 'x'));
      step.submit();
    }
    const t = engine.recordingTime.get('timed');
    expect(t?.steps).toBe(before + 3);
    expect(t?.ms).toBeGreaterThan(0);
  });

  it('reads small tensors back asynchronously after the submit', async () => {
    const step = engine.beginStep('read');
    const x = engine.input(Float32Array.from([1, -2, 3]), [3], 'x');
    const y = relu(x);
    const values = step.read(y);
    step.submit();
    expect(Array.from(await values)).toEqual([1, 0, 3]);
  });

  it('noGrad and detach stop the tape', () => {
    const step = engine.beginStep('nograd');
    const w = engine.parameter(new Float32Array(4), [4], 'w4');
    const y = engine.noGrad(() => relu(w));
    expect(y.requiresGrad).toBe(false);
    expect(relu(w.detach()).requiresGrad).toBe(false);
    expect(relu(w).requiresGrad).toBe(true);
    step.submit();
  });
});
