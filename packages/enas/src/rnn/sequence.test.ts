import { backward, Engine, mean, mul, type Tensor } from '@enas-webgpu/autograd';
import { type GpuContext, Rng } from '@enas-webgpu/wgsl-kernels';
import { download, expectClose, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stackSteps, timeSlice, timeStep } from './sequence.js';

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

const [T, B, H] = [5, 3, 7];
const rng = new Rng(4);
const values = rng.f32(T * B * H);
const weights = rng.f32(2 * B * H);

describe('time-major sequence ops', () => {
  it('timeSlice and stackSteps move whole time steps, and their gradients add up where slices overlap', async () => {
    const group = engine.group('sequence');
    const x = group.parameter(values, [T, B, H], 'x');
    const w = engine.persistent(weights, [2, B, H], 'w');
    const step = engine.beginStep('sequence');
    group.zeroGrads();
    const a = timeSlice(x, 1, 2); // steps 1, 2
    const b = timeSlice(x, 2, 2); // steps 2, 3: step 2 receives two contributions
    const stacked = stackSteps([timeStep(x, 4), timeStep(x, 0)]);
    const loss = mean(mul(a, w));
    backward(loss);
    step.submit();
    const reads = [a, b, stacked].map((t) => download(ctx, t.data, t.size));
    const stepOf = (t: number) => values.subarray(t * B * H, (t + 1) * B * H);
    const [ra, rb, rs] = await Promise.all(reads);
    expect(Array.from(ra as Float32Array)).toEqual([...stepOf(1), ...stepOf(2)]);
    expect(Array.from(rb as Float32Array)).toEqual([...stepOf(2), ...stepOf(3)]);
    expect(Array.from(rs as Float32Array)).toEqual([...stepOf(4), ...stepOf(0)]);
    // d mean(a ⊙ w) / dx: w / (2BH) on steps 1 and 2, zero elsewhere (b and stacked do not reach the loss).
    const expected = new Float64Array(T * B * H);
    for (let i = 0; i < 2 * B * H; i++) expected[B * H + i] = (weights[i] as number) / (2 * B * H);
    expectClose(await download(ctx, (x.grad as Tensor).data, x.size), expected, { label: 'grad x' });
  });

  it('a later slice adds to the gradient an earlier one wrote (accumulate)', async () => {
    const group = engine.group('sequence-acc');
    const x = group.parameter(values, [T, B, H], 'x');
    const step = engine.beginStep('sequence-acc');
    group.zeroGrads();
    backward(mean(mul(timeSlice(x, 0, 3), timeSlice(x, 2, 3))));
    step.submit();
    // loss = mean over steps k of x[k] x[k+2]: dx[t] = (x[t+2] [t < 3] + x[t−2] [t >= 2]) / (3BH).
    const n = B * H;
    const expected = Float64Array.from({ length: T * n }, (_, i) => {
      const t = Math.floor(i / n);
      return ((t < 3 ? (values[i + 2 * n] as number) : 0) + (t >= 2 ? (values[i - 2 * n] as number) : 0)) / (3 * n);
    });
    expectClose(await download(ctx, (x.grad as Tensor).data, x.size), expected, { label: 'grad x' });
  });

  it('rejects slices outside the sequence and non-sequences', () => {
    const x = engine.persistent(values, [T, B, H], 'seq');
    engine.beginStep('bad');
    expect(() => timeSlice(x, 4, 2)).toThrow(/steps \[4, 6\) are outside 'seq' of 5 steps/);
    expect(() => timeSlice(x.reshape([T * B, H]), 0)).toThrow(/time-major sequence \[T, B, H\]/);
    expect(() => stackSteps([])).toThrow(/no time steps/);
    engine.abortStep();
  });
});
