/**
 * The search-cell language model against an independent float64 implementation of enas_lm's `_forward` (written
 * here from the definition, on the autograd float64 twin): loss, regularised loss, the carried state and the
 * gradient of every parameter, with every dropout on. The twin draws the same masks from the CPU twin of the GPU
 * random stream. Its own gradient is checked by finite differences.
 */
import { backward, Engine, type Tensor } from '@enas-webgpu/autograd';
import { type F64, f64 } from '@enas-webgpu/autograd/testing';
import { type GpuContext, Rng, reference, rngStateWords } from '@enas-webgpu/wgsl-kernels';
import { dot, download, expectClose, finiteDifferences, testContext } from '@enas-webgpu/wgsl-kernels/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRnnArchitecture, RNN_FUNCS, type RnnArchitecture } from '../arch/rnn.js';
import { rnnOutputNodes } from './cell-step.js';
import { NO_DROPOUT, type RnnCellOutput, type RnnDropouts, type RnnModelConfig } from './config.js';
import { RnnLanguageModel } from './language-model.js';
import type { RnnWeightPool } from './weight-pool.js';

let ctx: GpuContext;
let engine: Engine;
beforeAll(async () => {
  ctx = await testContext();
  engine = new Engine(ctx, { seed: 21 });
});
afterEach(() => engine.abortStep());
afterAll(() => {
  engine?.destroy();
  ctx?.destroy();
});

const [V, H, B, T] = [19, 16, 3, 5];
const NODES = 4;
const drops: RnnDropouts = { embeddingRows: 0.2, embeddingOutput: 0.25, cellInput: 0.3, state: 0.35, output: 0.4 };
const reg = { weightDecay: 0.01, activationL2: 0.3, slowness: 0.7 };
// Every activation and both kinds of predecessor (node 0, an earlier node); node 2 is read twice.
const ARCH = parseRnnArchitecture('0 0 1 1 1 2 2 3');

interface Masks {
  rows?: Float64Array;
  input?: Float64Array;
  cell?: Float64Array;
  state?: Float64Array;
  output?: Float64Array;
}

interface RefParams {
  emb: F64;
  wPrev: F64;
  slots: F64[];
}

const rng = new Rng(7);
const x = Int32Array.from({ length: B * T }, () => rng.int(0, V - 1));
const y = Int32Array.from({ length: B * T }, () => rng.int(0, V - 1));
const state0 = rng.f32(B * H, -0.5, 0.5);
const window = { x, y, steps: T };

/** enas_lm `_forward` in float64: returns the loss, the regularised loss and the final state. */
function referenceLm(p: RefParams, arch: RnnArchitecture, m: Masks, output: RnnCellOutput, r: typeof reg) {
  const leaf = (v: ArrayLike<number>, shape: number[]) => f64.leaf(v, shape);
  const tile = (mask: Float64Array, times: number, inner: number) =>
    Float64Array.from({ length: mask.length * times * inner }, (_, i) => mask[Math.floor(i / inner) % mask.length] as number);
  const table = m.rows ? f64.mul(p.emb, leaf(tile(m.rows, 1, H), [V, H])) : p.emb;
  const concat = (a: F64, b: F64) =>
    f64.reshape(f64.concatChannels([f64.reshape(a, [B, H, 1, 1]), f64.reshape(b, [B, H, 1, 1])]), [B, 2 * H]);
  const maskL = (s: F64) => (m.state ? f64.mul(s, leaf(m.state, [B, H])) : s);
  let s = leaf(state0, [B, H]);
  const outs: F64[] = [];
  for (let t = 0; t < T; t++) {
    let xt = f64.embedding(
      table,
      Array.from({ length: B }, (_, b) => x[b * T + t] as number),
    );
    if (m.input) xt = f64.mul(xt, leaf(m.input, [B, H]));
    if (m.cell) xt = f64.mul(xt, leaf(m.cell, [B, H]));
    const nodes = [f64.highway(f64.matmul(concat(xt, maskL(s)), p.wPrev), s, 'tanh')];
    arch.nodes.forEach((node, k) => {
      const sp = nodes[node.prev] as F64;
      const w = p.slots[slotIndex(k + 1, node.func, node.prev)] as F64;
      nodes.push(f64.highway(f64.matmul(maskL(sp), w), sp, RNN_FUNCS[node.func]));
    });
    const picked = rnnOutputNodes(arch, output).map((j) => nodes[j] as F64);
    s = picked.reduce((a, b) => f64.add(a, b));
    if (picked.length > 1) s = f64.scale(s, 1 / picked.length);
    outs.push(s);
  }
  const stack = (xs: F64[]) => f64.reshape(f64.concatChannels(xs.map((o) => f64.reshape(o, [1, 1, B, H]))), [xs.length * B, H]);
  const S = stack(outs);
  const top = m.output ? f64.mul(S, leaf(tile(m.output, T, 1), [T * B, H])) : S;
  const labels = Array.from({ length: T * B }, (_, i) => y[(i % B) * T + Math.floor(i / B)] as number);
  const loss = f64.crossEntropy(f64.matmul(top, p.emb, { transB: true }), labels);
  let total = loss;
  const used = [p.wPrev, ...arch.nodes.map((n, k) => p.slots[slotIndex(k + 1, n.func, n.prev)] as F64)];
  total = f64.add(
    total,
    f64.scale(
      used.map((w) => f64.sum(f64.mul(w, w))).reduce((a, b) => f64.add(a, b)),
      r.weightDecay,
    ),
  );
  total = f64.add(total, f64.scale(f64.mean(f64.mul(S, S)), r.activationL2));
  const diffs = stack(outs.slice(1).map((o, t) => f64.sub(o, outs[t] as F64)));
  total = f64.add(total, f64.scale(f64.mean(f64.mul(diffs, diffs)), r.slowness));
  return { loss, total, finalState: s };
}

/** Pool slots in construction order: node j = 1..N, function 0..3, predecessor 0..j−1. */
function slotIndex(node: number, func: number, prev: number): number {
  let i = 0;
  for (let j = 1; j < node; j++) i += RNN_FUNCS.length * j;
  return i + func * node + prev;
}

async function valuesOf(ts: readonly Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map((t) => download(ctx, t.data, t.size)));
}

function refParams(emb: ArrayLike<number>, wPrev: ArrayLike<number>, slots: readonly ArrayLike<number>[]): RefParams {
  return { emb: f64.leaf(emb, [V, H]), wPrev: f64.leaf(wPrev, [2 * H, 2 * H]), slots: slots.map((s) => f64.leaf(s, [H, 2 * H])) };
}

async function runCase(name: string, output: RnnCellOutput, dropout: RnnDropouts) {
  const config: RnnModelConfig = { vocabSize: V, hidden: H, nodes: NODES, output, initRange: 0.4, dropout };
  const lm = new RnnLanguageModel(engine, config, 'shared', new Rng(13), name);
  const pool = lm.cell as RnnWeightPool;
  const slots = pool.parameters().slice(1); // w_prev first, then the slots in construction order
  expect(slots).toHaveLength(pool.slotCount);
  const state = lm.state('train', B);
  ctx.writeBuffer(state.data.buffer, state.data.offset, state0);

  const step = engine.beginStep('lm');
  const rngState = rngStateWords(engine.randomState.seed, engine.randomState.steps);
  lm.group.zeroGrads();
  const f = lm.forward(window, state, ARCH, true);
  const total = lm.regularizedLoss(f, ARCH, reg);
  backward(total);
  lm.carryState(f.finalState, state);
  const lossRead = step.read(f.loss);
  const totalRead = step.read(total);
  step.submit();

  // The active dropouts draw streams 0, 1, ... in the documented order.
  let stream = 0;
  const mask = (rate: number, size: number) => (rate > 0 ? reference.dropoutMaskRef(rngState, stream++, size, 1 - rate) : undefined);
  const masks: Masks = {
    rows: mask(dropout.embeddingRows, V),
    input: mask(dropout.embeddingOutput, B * H),
    cell: mask(dropout.cellInput, B * H),
    state: mask(dropout.state, B * H),
    output: mask(dropout.output, B * H),
  };
  const [emb, wPrev] = await valuesOf([lm.embedding, pool.wPrev]);
  const slotValues = await valuesOf(slots);
  const p = refParams(emb as Float32Array, wPrev as Float32Array, slotValues);
  const ref = referenceLm(p, ARCH, masks, output, reg);
  f64.backward(ref.total, [1]);
  return {
    lm,
    pool,
    slots,
    state,
    masks,
    lossRead,
    totalRead,
    ref,
    p,
    init: { emb: emb as Float32Array, wPrev: wPrev as Float32Array, slotValues },
  };
}

describe('ENAS language model through the search cell, against float64', () => {
  for (const [label, output, dropout] of [
    ['mean of all nodes, every dropout on', 'all', drops],
    ['loose ends only, no dropout', 'looseEnds', NO_DROPOUT],
  ] as const) {
    it(`${label}: loss, regularised loss, carried state and every gradient match`, async () => {
      const c = await runCase(`lm-${output}`, output, dropout);
      expectClose(await c.lossRead, c.ref.loss.data, { label: 'loss' });
      expectClose(await c.totalRead, c.ref.total.data, { label: 'regularised loss' });
      expectClose(await download(ctx, c.state.data, B * H), c.ref.finalState.data, { label: 'carried state' });
      // Gradients pass through T steps of N + 1 matmuls each: 1e-3 (long reductions).
      const grad = (t: Tensor) => download(ctx, (t.grad as Tensor).data, t.size);
      expectClose(await grad(c.lm.embedding), c.p.emb.grad, { rtol: 1e-3, label: 'grad embedding' });
      expectClose(await grad(c.pool.wPrev), c.p.wPrev.grad, { rtol: 1e-3, label: 'grad w_prev' });
      const used = new Set(ARCH.nodes.map((n, k) => slotIndex(k + 1, n.func, n.prev)));
      for (let i = 0; i < c.slots.length; i++) {
        const g = await grad(c.slots[i] as Tensor);
        if (used.has(i)) expectClose(g, (c.p.slots[i] as F64).grad, { rtol: 1e-3, label: `grad ${c.slots[i]?.name}` });
        else
          expect(
            g.every((v) => v === 0),
            `unused slot ${c.slots[i]?.name} has a zero gradient`,
          ).toBe(true);
      }
    });
  }

  it('the float64 model is differentiated correctly (finite differences)', async () => {
    const c = await runCase('lm-fd', 'all', drops);
    const { emb, wPrev, slotValues } = c.init;
    const total = (params: RefParams) => referenceLm(params, ARCH, c.masks, 'all', reg).total.data[0] as number;
    // 48 elements of one node's slot, then a random direction through the embedding and W_prev.
    const k = slotIndex(3, 1, 2);
    const base = Float64Array.from(slotValues[k] as Float32Array);
    const pick = new Rng(9);
    const indices = [...new Set(Array.from({ length: 64 }, () => pick.int(0, base.length - 1)))].slice(0, 48);
    const withSlot = (v: Float64Array) => {
      const w = Float64Array.from(base);
      indices.forEach((j, n) => {
        w[j] = v[n] as number;
      });
      return total(
        refParams(
          emb,
          wPrev,
          slotValues.map((s, i) => (i === k ? w : s)),
        ),
      );
    };
    const fdSlot = finiteDifferences(
      withSlot,
      Float64Array.from(indices, (j) => base[j] as number),
    );
    expectClose(
      indices.map((j) => (c.p.slots[k] as F64).grad[j] as number),
      fdSlot,
      { rtol: 1e-5, label: 'slot finite differences' },
    );
    const dir = new Rng(3);
    const dEmb = Float64Array.from({ length: V * H }, () => dir.uniform(-1, 1));
    const dPrev = Float64Array.from({ length: 4 * H * H }, () => dir.uniform(-1, 1));
    const along = (e: number) =>
      total(
        refParams(
          Float64Array.from(emb, (v, i) => v + e * (dEmb[i] as number)),
          Float64Array.from(wPrev, (v, i) => v + e * (dPrev[i] as number)),
          slotValues,
        ),
      );
    const eps = 1e-6;
    const numeric = (along(eps) - along(-eps)) / (2 * eps);
    const analytic = dot(c.p.emb.grad, dEmb) + dot(c.p.wPrev.grad, dPrev);
    expect(Math.abs(numeric - analytic)).toBeLessThan(1e-6 * Math.max(1, Math.abs(analytic)));
  });
});
