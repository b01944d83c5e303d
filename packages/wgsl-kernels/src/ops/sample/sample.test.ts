import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../device/context.js';
import { Recorder } from '../../kernel/recorder.js';
import {
  download,
  downloadU32,
  expectClose,
  finiteDifferences,
  poisoned,
  poisonedU32,
  Rng,
  runOnGpu,
  testContext,
  upload,
  uploadU32,
} from '../../testing/index.js';
import { arenaOf } from '../random/arena-for-tests.js';
import { createRngState, rngStateWords, rngWordsCpu, unitFromWord } from '../random/rng-state.js';
import { categoricalSample, type LogitShaping, type SampleShape } from './categorical-sample.js';
import { categoricalSampleBackward } from './categorical-sample-backward.js';
import { categoricalSampleBackwardRef, categoricalSampleRef, sampleObjectivesRef, shapeLogitsRef } from './sample.reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const rng = new Rng(1802);

/** The controller's configurations: none, macro (tanh 1.5), LM (temperature 5, tanh 2.25), micro ops (tanh + bias). */
const SHAPINGS: { shaping: LogitShaping; bias: boolean }[] = [
  { shaping: {}, bias: false },
  { shaping: { tanhConstant: 1.5 }, bias: false },
  { shaping: { temperature: 5, tanhConstant: 2.25 }, bias: false },
  { shaping: { tanhConstant: 1.1 / 2.5 }, bias: true },
  { shaping: { temperature: 0.7 }, bias: true },
];
const SHAPES: SampleShape[] = [
  { B: 1, K: 1 },
  { B: 3, K: 5 },
  { B: 9, K: 12 },
  { B: 2, K: 300 },
];

async function sampleOnGpu(
  logits: Float32Array,
  bias: Float32Array | undefined,
  s: SampleShape,
  shaping: LogitShaping,
  seed: number,
  stream: number,
) {
  const index = poisonedU32(ctx, s.B);
  const logProb = poisoned(ctx, s.B);
  const entropy = poisoned(ctx, s.B);
  await runOnGpu(ctx, (rec) =>
    categoricalSample(
      rec,
      { rng: createRngState(ctx, seed), logits: upload(ctx, logits), bias: bias && upload(ctx, bias), index, logProb, entropy },
      s,
      { ...shaping, stream },
    ),
  );
  return {
    index: await downloadU32(ctx, index, s.B),
    logProb: await download(ctx, logProb, s.B),
    entropy: await download(ctx, entropy, s.B),
  };
}

describe('categoricalSample', () => {
  for (const { shaping, bias } of SHAPINGS) {
    it.each(SHAPES)(`index, log-prob and entropy match float64 with ${JSON.stringify(shaping)}, bias ${bias}, on %o`, async (s) => {
      const logits = rng.f32(s.B * s.K, -4, 4);
      const b = bias ? rng.f32(s.K, -0.5, 0.5) : undefined;
      const seed = rng.int(0, 1e6);
      const got = await sampleOnGpu(logits, b, s, shaping, seed, 3);
      const uniforms = Array.from(rngWordsCpu(rngStateWords(seed), 3, s.B), unitFromWord);
      const ref = categoricalSampleRef(logits, b, s, shaping, uniforms);
      for (let r = 0; r < s.B; r++) {
        // The GPU's f32 CDF may put u on the other side of a boundary that the float64 CDF puts it on; accept
        // exactly the categories whose float64 interval contains u within 1e-5.
        const j = got.index[r] as number;
        expect(j).toBeLessThan(s.K);
        let before = 0;
        for (let k = 0; k < j; k++) before += ref.probs[r * s.K + k] as number;
        const after = before + (ref.probs[r * s.K + j] as number);
        expect(uniforms[r] as number).toBeGreaterThanOrEqual(before - 1e-5);
        expect(uniforms[r] as number).toBeLessThan(after + 1e-5);
      }
      const atGpuIndex = sampleObjectivesRef(logits, b, got.index, s, shaping);
      expectClose(got.logProb, atGpuIndex.logProb, { label: 'log p(index)' });
      expectClose(got.entropy, ref.entropy, { label: 'entropy', floor: 1e-3 });
    });
  }

  it('sampled frequencies match the softmax probabilities (8192 draws, 5 sd per category)', async () => {
    const K = 5;
    const B = 8192;
    const row = Float32Array.of(0.3, -1.2, 2.0, 0.9, -0.4);
    const logits = new Float32Array(B * K);
    for (let b = 0; b < B; b++) logits.set(row, b * K);
    const bias = Float32Array.of(0.25, 0.25, -0.25, -0.25, -0.25);
    const shaping = { tanhConstant: 1.1 };
    const got = await sampleOnGpu(logits, bias, { B, K }, shaping, 99, 0);
    const p = categoricalSampleRef(row, bias, { B: 1, K }, shaping, [0]).probs;
    const counts = new Array(K).fill(0);
    for (const j of got.index) counts[j] += 1;
    for (let k = 0; k < K; k++) {
      const pk = p[k] as number;
      expect(Math.abs(counts[k] / B - pk)).toBeLessThan(5 * Math.sqrt((pk * (1 - pk)) / B));
    }
  });

  it('writes the shaped logits it drew from when asked, and draws the same as without', async () => {
    const s = { B: 4, K: 7 };
    for (const { shaping, bias } of SHAPINGS) {
      const logits = rng.f32(s.B * s.K, -4, 4);
      const b = bias ? rng.f32(s.K, -0.5, 0.5) : undefined;
      const shaped = poisoned(ctx, s.B * s.K);
      const [index, logProb, entropy] = [poisonedU32(ctx, s.B), poisoned(ctx, s.B), poisoned(ctx, s.B)];
      await runOnGpu(ctx, (rec) =>
        categoricalSample(
          rec,
          { rng: createRngState(ctx, 17), logits: upload(ctx, logits), bias: b && upload(ctx, b), index, logProb, entropy, shaped },
          s,
          { ...shaping, stream: 2 },
        ),
      );
      expectClose(await download(ctx, shaped, s.B * s.K), shapeLogitsRef(logits, b, s, shaping), {
        label: `shaped ${JSON.stringify(shaping)}`,
      });
      const without = await sampleOnGpu(logits, b, s, shaping, 17, 2);
      expect(Array.from(await downloadU32(ctx, index, s.B))).toEqual(Array.from(without.index));
    }
  });

  it('a category with probability 0 in f32 is never drawn; a one-hot row always gives its category', async () => {
    const s = { B: 64, K: 3 };
    const logits = new Float32Array(s.B * s.K);
    for (let b = 0; b < s.B; b++) logits.set([-200, 0, -200], b * s.K);
    const got = await sampleOnGpu(logits, undefined, s, {}, 5, 1);
    expect(Array.from(got.index).every((j) => j === 1)).toBe(true);
    expectClose(got.logProb, new Float64Array(s.B), { floor: 1e-6, label: 'log p = 0' });
  });
});

describe('categoricalSampleBackward', () => {
  for (const { shaping, bias } of SHAPINGS) {
    it.each(SHAPES)(`matches float64 with ${JSON.stringify(shaping)}, bias ${bias}, on %o`, async (s) => {
      const logits = rng.f32(s.B * s.K, -4, 4);
      const b = bias ? rng.f32(s.K, -0.5, 0.5) : undefined;
      const index = Uint32Array.from({ length: s.B }, () => rng.int(0, s.K - 1));
      // The forward outputs as the GPU would hand them over (f32).
      const fwd = sampleObjectivesRef(logits, b, index, s, shaping);
      const dLogProb = rng.f32(s.B);
      const dEntropy = rng.f32(s.B);
      for (const which of ['both', 'logProb', 'entropy'] as const) {
        const dLogits = poisoned(ctx, s.B * s.K);
        await runOnGpu(ctx, (rec) =>
          categoricalSampleBackward(
            rec,
            {
              logits: upload(ctx, logits),
              bias: b && upload(ctx, b),
              index: uploadU32(ctx, index),
              logProb: upload(ctx, Float32Array.from(fwd.logProb)),
              entropy: upload(ctx, Float32Array.from(fwd.entropy)),
              dLogProb: which !== 'entropy' ? upload(ctx, dLogProb) : undefined,
              dEntropy: which !== 'logProb' ? upload(ctx, dEntropy) : undefined,
              dLogits,
            },
            s,
            shaping,
          ),
        );
        const expected = categoricalSampleBackwardRef(
          logits,
          b,
          index,
          which !== 'entropy' ? dLogProb : undefined,
          which !== 'logProb' ? dEntropy : undefined,
          s,
          shaping,
        );
        // The normaliser comes from the f32 log p(index): errors of a few f32 ulps of |log p| (up to ~10 here).
        expectClose(await download(ctx, dLogits, s.B * s.K), expected, { rtol: 2e-4, label: `dLogits (${which})` });
      }
    });
  }

  it('accumulates into dLogits', async () => {
    const s = { B: 4, K: 6 };
    const shaping = { temperature: 2, tanhConstant: 1.5 };
    const logits = rng.f32(24, -3, 3);
    const index = Uint32Array.of(0, 5, 2, 2);
    const fwd = sampleObjectivesRef(logits, undefined, index, s, shaping);
    const dLogProb = rng.f32(4);
    const prior = rng.f32(24);
    const dLogits = upload(ctx, prior);
    await runOnGpu(ctx, (rec) =>
      categoricalSampleBackward(
        rec,
        {
          logits: upload(ctx, logits),
          index: uploadU32(ctx, index),
          logProb: upload(ctx, Float32Array.from(fwd.logProb)),
          entropy: upload(ctx, Float32Array.from(fwd.entropy)),
          dLogProb: upload(ctx, dLogProb),
          dLogits,
        },
        s,
        { ...shaping, accumulate: true },
      ),
    );
    const expected = categoricalSampleBackwardRef(logits, undefined, index, dLogProb, undefined, s, shaping);
    expectClose(
      await download(ctx, dLogits, 24),
      expected.map((v, i) => v + (prior[i] as number)),
      { rtol: 2e-4, label: 'accumulate' },
    );
  });

  it('backward reference is the derivative of log p(index) and entropy (finite differences)', () => {
    for (const { shaping, bias } of SHAPINGS) {
      const s = { B: 2, K: 4 };
      const logits = Float64Array.from(rng.f32(8, -2, 2));
      const b = bias ? Float64Array.from(rng.f32(4)) : undefined;
      const index = Uint32Array.of(3, 1);
      const dLogProb = Float64Array.from(rng.f32(2));
      const dEntropy = Float64Array.from(rng.f32(2));
      const loss = (z: Float64Array) => {
        const o = sampleObjectivesRef(z, b, index, s, shaping);
        return o.logProb.reduce((a, v, i) => a + v * (dLogProb[i] as number) + (o.entropy[i] as number) * (dEntropy[i] as number), 0);
      };
      expectClose(categoricalSampleBackwardRef(logits, b, index, dLogProb, dEntropy, s, shaping), finiteDifferences(loss, logits), {
        rtol: 1e-6,
        label: `sample fd ${JSON.stringify(shaping)}`,
      });
    }
  });
});

describe('sampler on slices of one arena buffer', () => {
  it('forward and backward with the RNG state and every operand in one buffer', async () => {
    const s = { B: 4, K: 6 };
    const shaping = { temperature: 2, tanhConstant: 1.5 };
    const logits = rng.f32(24, -3, 3);
    const bias = rng.f32(6);
    const state = rngStateWords(31, 2);
    const dLogProb = rng.f32(4);
    const dEntropy = rng.f32(4);
    const a = arenaOf(ctx, {
      rng: state,
      logits,
      bias,
      index: new Uint32Array(4).fill(0xffffffff),
      logProb: new Float32Array(4).fill(Number.NaN),
      entropy: new Float32Array(4).fill(Number.NaN),
      dLogProb,
      dEntropy,
      dLogits: new Float32Array(24).fill(Number.NaN),
    });
    const t = a.slices;
    await runOnGpu(ctx, (rec) => {
      categoricalSample(rec, { rng: t.rng, logits: t.logits, bias: t.bias, index: t.index, logProb: t.logProb, entropy: t.entropy }, s, {
        ...shaping,
        stream: 6,
      });
      categoricalSampleBackward(
        rec,
        {
          logits: t.logits,
          bias: t.bias,
          index: t.index,
          logProb: t.logProb,
          entropy: t.entropy,
          dLogProb: t.dLogProb,
          dEntropy: t.dEntropy,
          dLogits: t.dLogits,
        },
        s,
        shaping,
      );
    });
    const index = await a.readU32('index');
    const objectives = sampleObjectivesRef(logits, bias, index, s, shaping);
    expectClose(await a.readF32('logProb'), objectives.logProb, { label: 'arena log p' });
    expectClose(await a.readF32('entropy'), objectives.entropy, { label: 'arena entropy' });
    expectClose(await a.readF32('dLogits'), categoricalSampleBackwardRef(logits, bias, index, dLogProb, dEntropy, s, shaping), {
      rtol: 2e-4,
      label: 'arena dLogits',
    });
  });
});

describe('sampler bad input', () => {
  it('names the function and the problem', () => {
    const rec = new Recorder(ctx, 'bad-input');
    const r = createRngState(ctx, 1);
    const f = upload(ctx, new Float32Array(6));
    const u = uploadU32(ctx, [0, 0]);
    const t = { rng: r, logits: f, index: u, logProb: upload(ctx, [0, 0]), entropy: upload(ctx, [0, 0]) };
    expect(() => categoricalSample(rec, t, { B: 2, K: 3 }, { stream: 0, temperature: 0 })).toThrow(/categoricalSample: temperature = 0/);
    expect(() => categoricalSample(rec, { ...t, bias: upload(ctx, [1, 2]) }, { B: 2, K: 3 }, { stream: 0 })).toThrow(
      /categoricalSample: bias holds 2 floats but must be \[K=3\]/,
    );
    expect(() => categoricalSample(rec, t, { B: 3, K: 2 }, { stream: 0 })).toThrow(
      /categoricalSample: index holds 2 u32 but must be \[B=3\]/,
    );
    expect(() => categoricalSampleBackward(rec, { ...t, dLogits: f }, { B: 2, K: 3 })).toThrow(
      /categoricalSampleBackward: give dLogProb, dEntropy or both/,
    );
  });
});
