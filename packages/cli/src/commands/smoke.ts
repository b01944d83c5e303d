/**
 * `enas smoke`: proves the whole stack on this machine in a second: finds the adapter, runs a matmul + bias + ReLU
 * on the GPU and checks it against the float64 reference.
 */
import { createGpuContext, matmul, Recorder, readF32, reference, unary, wholeBuffer } from '@enas-webgpu/wgsl-kernels';
import { expectClose, Rng } from '@enas-webgpu/wgsl-kernels/testing';

export async function smokeCommand(): Promise<void> {
  const ctx = await createGpuContext();
  try {
    console.log(`adapter: ${ctx.describe()}`);
    const [M, N, K] = [96, 80, 72];
    const rng = new Rng(1);
    const a = rng.f32(M * K);
    const b = rng.f32(K * N);
    const bias = rng.f32(N);
    const buf = (label: string, data: Float32Array | number) => wholeBuffer(ctx.createStorageBuffer(label, data));
    const [A, B, Bias, C, Y] = [buf('a', a), buf('b', b), buf('bias', bias), buf('c', M * N * 4), buf('y', M * N * 4)];
    const rec = new Recorder(ctx, 'smoke');
    matmul(rec, { a: A, b: B, c: C, bias: Bias }, { M, N, K });
    unary(rec, 'relu', C, Y, M * N);
    rec.submit();
    const got = await readF32(ctx, Y);
    const expected = reference.unaryRef('relu', reference.matmulRef(a, b, { M, N, K }, bias));
    const err = expectClose(got, expected, { rtol: 1e-4, label: 'relu(A·B + bias)' });
    console.log(`kernel check: relu(A·B + bias) for ${M}x${K} · ${K}x${N} matches float64 (max relative error ${err.toExponential(2)})`);
  } finally {
    ctx.destroy();
  }
}
