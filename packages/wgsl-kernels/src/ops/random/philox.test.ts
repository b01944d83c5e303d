import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import { Recorder } from '../../kernel/recorder.js';
import { downloadU32, poisonedU32, runOnGpu, testContext, upload } from '../../testing/index.js';
import { mulhilo32, PHILOX_WGSL, philox4x32_10 } from './philox.js';
import { randomBits } from './random-fill.js';
import {
  advanceRngStateCpu,
  createRngState,
  RNG_STATE_WORDS,
  rngAdvance,
  rngStateWords,
  rngWordsCpu,
  unitFromWord,
  wordBelow,
} from './rng-state.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

// Random123 kat_vectors, the three `philox4x32 10` lines: counter (4 words), key (2 words) -> output (4 words).
const KNOWN_ANSWERS: [number[], number[], number[]][] = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describe('Philox4x32-10, CPU twin', () => {
  it('matches the Random123 known-answer vectors', () => {
    for (const [counter, key, expected] of KNOWN_ANSWERS) {
      expect(Array.from(philox4x32_10(counter, key))).toEqual(expected);
    }
  });

  it('mulhilo32 is the exact 64-bit product', () => {
    for (const [a, b] of [
      [0xffffffff, 0xffffffff],
      [0xd2511f53, 0x12345678],
      [1, 0xffffffff],
      [0x10000, 0x10000],
    ] as const) {
      const p = BigInt(a) * BigInt(b);
      expect(mulhilo32(a, b)).toEqual([Number(p >> 32n), Number(p & 0xffffffffn)]);
    }
  });

  it('unitFromWord and wordBelow cover their ranges', () => {
    expect(unitFromWord(0)).toBe(0);
    expect(unitFromWord(0xffffffff)).toBe(1 - 2 ** -24);
    expect(Math.fround(unitFromWord(0xdeadbeef))).toBe(unitFromWord(0xdeadbeef));
    expect(wordBelow(0, 9)).toBe(0);
    expect(wordBelow(0xffffffff, 9)).toBe(8);
  });
});

describe('RNG state and streams on the GPU', () => {
  it('the GPU Philox reproduces the known-answer vectors', async () => {
    // A test-only kernel: one invocation per vector, inputs as 6 words (counter, key), outputs 4 words.
    const kat = defineKernel({
      name: 'philox_known_answers',
      bindings: { inputs: read('u32'), outputs: readWrite('u32') },
      uniforms: { count: 'u32' },
      workgroupSize: [1, 1, 1],
      wgsl: () => `${PHILOX_WGSL}
@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.x * 6u;
  let r = philox4x32_10(vec4u(inputs[b], inputs[b + 1u], inputs[b + 2u], inputs[b + 3u]), vec2u(inputs[b + 4u], inputs[b + 5u]));
  for (var j = 0u; j < 4u; j = j + 1u) { outputs[gid.x * 4u + j] = r[j]; }
}`,
    });
    const inputs = upload(ctx, Uint32Array.from(KNOWN_ANSWERS.flatMap(([counter, key]) => [...counter, ...key])));
    const outputs = poisonedU32(ctx, 4 * KNOWN_ANSWERS.length);
    await runOnGpu(ctx, (rec) =>
      kat.dispatch(rec, { bind: { inputs, outputs }, uniforms: { count: KNOWN_ANSWERS.length }, grid: [KNOWN_ANSWERS.length] }),
    );
    expect(Array.from(await downloadU32(ctx, outputs, 4 * KNOWN_ANSWERS.length))).toEqual(KNOWN_ANSWERS.flatMap(([, , out]) => out));
  });

  it('GPU words equal the CPU twin bit for bit, for odd lengths and several streams and seeds', async () => {
    for (const [seed, step, stream, n] of [
      [0, 0, 0, 1],
      [42, 7, 3, 37],
      [2 ** 40 + 12345, 2 ** 33 + 5, 0xffffffff, 1029],
    ] as const) {
      const rng = createRngState(ctx, seed, step);
      const y = poisonedU32(ctx, n);
      await runOnGpu(ctx, (rec) => randomBits(rec, { rng, y }, n, { stream }));
      expect(Array.from(await downloadU32(ctx, y, n))).toEqual(Array.from(rngWordsCpu(rngStateWords(seed, step), stream, n)));
    }
  });

  it('same (seed, step, stream) repeats; another stream, step or seed differs', async () => {
    const n = 64;
    const draw = async (rng: ReturnType<typeof createRngState>, stream: number) => {
      const y = poisonedU32(ctx, n);
      await runOnGpu(ctx, (rec) => randomBits(rec, { rng, y }, n, { stream }));
      return Array.from(await downloadU32(ctx, y, n));
    };
    const a = createRngState(ctx, 9);
    const first = await draw(a, 1);
    expect(await draw(a, 1)).toEqual(first);
    expect(await draw(createRngState(ctx, 9), 1)).toEqual(first);
    const others = [await draw(a, 2), await draw(createRngState(ctx, 10), 1), await draw(createRngState(ctx, 9, 1), 1)];
    for (const o of others) {
      // Independent 32-bit words: a coincidence in any of 64 positions has probability ~64 / 2^32.
      expect(o.filter((w, i) => w === first[i]).length).toBe(0);
    }
  });

  it('rngAdvance steps the 64-bit counter on the GPU, with carry, as its CPU twin', async () => {
    const start = rngStateWords(77, 2 ** 32 - 2);
    const rng = createRngState(ctx, 77, 2 ** 32 - 2);
    const y = poisonedU32(ctx, 8);
    await runOnGpu(ctx, (rec) => {
      rngAdvance(rec, rng);
      rngAdvance(rec, rng, 3);
      randomBits(rec, { rng, y }, 8, { stream: 5 });
    });
    const expectedState = advanceRngStateCpu(advanceRngStateCpu(start), 3);
    expect(Array.from(expectedState)).toEqual([77, 0, 2, 1]);
    expect(Array.from(await downloadU32(ctx, rng, RNG_STATE_WORDS))).toEqual(Array.from(expectedState));
    expect(Array.from(await downloadU32(ctx, y, 8))).toEqual(Array.from(rngWordsCpu(expectedState, 5, 8)));
  });

  it('rejects bad seeds, streams, state buffers and counts', () => {
    expect(() => rngStateWords(-1)).toThrow(/rngStateWords: seed = -1/);
    expect(() => rngStateWords(0.5)).toThrow(/non-negative integer/);
    const small = upload(ctx, new Uint32Array(2));
    const y = poisonedU32(ctx, 4);
    expect(() => runOnGpuSync((rec) => randomBits(rec, { rng: small, y }, 4, { stream: 0 }))).toThrow(
      /randomBits: the RNG state slice has 8 bytes/,
    );
    const rng = createRngState(ctx, 1);
    expect(() => runOnGpuSync((rec) => randomBits(rec, { rng, y }, 4, { stream: -1 }))).toThrow(/randomBits: stream = -1/);
    expect(() => runOnGpuSync((rec) => randomBits(rec, { rng, y }, 5, { stream: 0 }))).toThrow(/randomBits: y holds 4 u32 but n = 5/);
    expect(() => runOnGpuSync((rec) => rngAdvance(rec, rng, 0))).toThrow(/rngAdvance: steps = 0/);
  });
});

/** Records into a throwaway recorder (never submitted): for checks that must throw while recording. */
function runOnGpuSync(body: (rec: Recorder) => void): void {
  body(new Recorder(ctx, 'bad-input'));
}
