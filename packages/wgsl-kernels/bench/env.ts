/** What every benchmark section gets: the device, the timer, the tfjs peer (when it loaded) and the run's knobs. */
import type { GpuContext } from '../src/device/context.js';
import { Rng } from '../src/util/rng.js';
import type { TfjsPeer } from './tfjs-peer.js';
import type { Timer } from './timing.js';

export interface BenchEnv {
  readonly ctx: GpuContext;
  readonly timer: Timer;
  /** Undefined when tfjs could not be loaded (the reason is printed once). */
  readonly peer: TfjsPeer | undefined;
  /** Seconds of measured work per cell, after warm-up. */
  readonly targetSeconds: number;
  /** The adapter is a CPU implementation (lavapipe, SwiftShader): sizes are capped. */
  readonly software: boolean;
  readonly log: (line: string) => void;
}

/** Uniform [-1, 1) inputs, deterministic across runs. */
export function randomF32(n: number, seed = 7): Float32Array {
  return new Rng(seed).f32(n);
}

/** Runs one side of a row; a failure becomes a note instead of aborting the whole benchmark. */
export async function attempt<T>(env: BenchEnv, what: string, body: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await body() };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    env.log(`  ${what} failed: ${message}`);
    return { error: `${what} failed: ${message}` };
  }
}
