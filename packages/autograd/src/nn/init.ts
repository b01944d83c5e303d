/**
 * Parameter initialisers, drawn on the CPU from a seeded generator so a run is reproducible from its seed.
 * He-normal is what the official ENAS code uses for convolutions (`common_ops.py` L27-30: std = sqrt(2 / fan_in));
 * uniform ±a for the controller (±0.1 CIFAR, ±0.01/±0.04 language model).
 */
import type { Rng } from '@enas-webgpu/wgsl-kernels';

/** N(0, 2 / fanIn): He et al. 2015 (variance scaling for ReLU networks). */
export function heNormal(rng: Rng, count: number, fanIn: number): Float32Array {
  const std = Math.sqrt(2 / fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = std * rng.normal();
  return out;
}

/** U(−a, a). */
export function uniform(rng: Rng, count: number, a: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.uniform(-a, a);
  return out;
}

export function constant(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}
