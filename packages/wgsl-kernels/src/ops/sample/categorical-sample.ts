/**
 * Categorical sampling from logits on the GPU, with the ENAS controller's logit shaping (official code
 * `general_controller.py` L152-155, `micro_controller.py` L179-185; reference notes a.0, a.3):
 *
 *   z = logits / temperature           (when a temperature is given)
 *   z = tanh_constant · tanh(z)        (when a tanh constant is given)
 *   z = z + bias                       (optional fixed vector [K], e.g. the micro controller's normal-cell op bias)
 *
 * Per row it returns the sampled index (u32), log p(index) and the full softmax entropy −Σ p log p, and on request
 * the shaped logits themselves (what a viewer turns into probabilities: no separate shaping ops). One workgroup
 * per row: max and the two sums (Σ e, Σ e·(z − m), with e = exp(z − m)) are tree reductions; the draw is an
 * inverse-CDF scan by the first invocation, with u = word `row` of the call's RNG stream, so it is serial in K
 * (the controller's K is a handful of ops or previous nodes).
 */
import { defineKernel, read, readWrite, unusedBinding, unusedWritableBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { UNARY_OPS } from '../elementwise/unary-ops.js';
import { checkRowOperand, checkRowShape, ROW_INDEX_WGSL, ROW_REDUCE_WGSL, rowGrid, rowWorkgroupSize } from '../loss/row-reduce.js';
import { checkRngState, checkStream, RNG_WGSL } from '../random/rng-state.js';

export interface SampleShape {
  /** Rows: independent distributions (one decision each). */
  readonly B: number;
  /** Categories per row. */
  readonly K: number;
}

/** The controller's logit shaping; each step is skipped when its constant is absent. */
export interface LogitShaping {
  /** logits /= temperature (OFF `--controller_temperature`; none in the CIFAR scripts). */
  readonly temperature?: number;
  /** logits = tanhConstant · tanh(logits) (OFF `--controller_tanh_constant`, e.g. 1.5 macro, 1.1 micro search). */
  readonly tanhConstant?: number;
}

export interface ShapingConfig {
  readonly tanh: boolean;
  readonly bias: boolean;
}

/**
 * WGSL `shapedLogit(base, k) -> vec2f`: (z, dz/dlogit) for element k of the row starting at `base`. The slope is
 * what the backward multiplies by; the forward ignores it. tanh is the clamped one of the activation table.
 */
export const shapingWgsl = (c: ShapingConfig) => /* wgsl */ `
fn shapedLogit(base: u32, k: u32) -> vec2f {
  let x = logits[base + k] / u.temperature;
  ${
    c.tanh
      ? `let t = ${UNARY_OPS.tanh.forward};
  var z = u.tanhConstant * t;
  let slope = u.tanhConstant * (1.0 - t * t) / u.temperature;`
      : `var z = x;
  let slope = 1.0 / u.temperature;`
  }
  ${c.bias ? 'z = z + bias[k];' : ''}
  return vec2f(z, slope);
}`;

interface SampleConfig extends ShapingConfig {
  readonly wg: 64 | 256;
  /** Also write the shaped logits z to `shaped` [B, K]. */
  readonly writeShaped: boolean;
}

export const categoricalSampleKernel = defineKernel({
  name: 'categorical_sample',
  bindings: {
    rng: read('u32'),
    logits: read(),
    bias: read(),
    index: readWrite('u32'),
    logProb: readWrite(),
    entropy: readWrite(),
    shaped: readWrite(),
  },
  uniforms: { B: 'u32', K: 'u32', temperature: 'f32', tanhConstant: 'f32', stream: 'u32' },
  workgroupSize: (c: SampleConfig) => [c.wg, 1, 1],
  workgroupMemoryBytes: (c) => c.wg * 4,
  wgsl: (c) => /* wgsl */ `
${RNG_WGSL}
${ROW_REDUCE_WGSL}
${shapingWgsl(c)}
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDEX_WGSL}
  if (row >= u.B) { return; }
  let base = row * u.K;
  var m = LOWEST_F32;
  for (var k = lid; k < u.K; k = k + WG_X) {
    let z = shapedLogit(base, k).x;
    m = max(m, z);
    ${c.writeShaped ? 'shaped[base + k] = z;' : ''}
  }
  m = workgroupMax(lid, m);
  var s = 0.0;
  var sz = 0.0;
  for (var k = lid; k < u.K; k = k + WG_X) {
    let d = shapedLogit(base, k).x - m;
    let e = exp(d);
    s = s + e;
    sz = sz + e * d;
  }
  s = workgroupSum(lid, s);
  sz = workgroupSum(lid, sz);
  if (lid == 0u) {
    // Inverse CDF: the first k whose running sum of e exceeds u·s. Rounding can leave the target unreached;
    // then the last category with non-zero probability is taken.
    let goal = unitFromWord(rngWord(u.stream, row)) * s;
    var acc = 0.0;
    var chosen = u.K;
    var lastPositive = 0u;
    for (var k = 0u; k < u.K; k = k + 1u) {
      let e = exp(shapedLogit(base, k).x - m);
      if (e > 0.0) { lastPositive = k; }
      acc = acc + e;
      if (acc > goal) {
        chosen = k;
        break;
      }
    }
    if (chosen == u.K) { chosen = lastPositive; }
    let logS = log(s);
    index[row] = chosen;
    logProb[row] = shapedLogit(base, chosen).x - m - logS;
    // H = −Σ p log p = log s − Σ e (z − m) / s.
    entropy[row] = logS - sz / s;
  }
}`,
});

export interface CategoricalSampleOperands {
  /** RNG state (random/rng-state.ts). */
  readonly rng: BufferSlice;
  /** Raw logits [B, K]. */
  readonly logits: BufferSlice;
  /** Optional additive bias [K], applied after temperature and tanh. */
  readonly bias?: BufferSlice;
  /** Written: sampled category per row, u32 [B]. */
  readonly index: BufferSlice;
  /** Written: log p(index) per row [B]. */
  readonly logProb: BufferSlice;
  /** Written: softmax entropy per row [B]. */
  readonly entropy: BufferSlice;
  /** Optional, written: the shaped logits z [B, K] the draw used (after temperature, tanh and bias). */
  readonly shaped?: BufferSlice;
}

export interface CategoricalSampleOptions extends LogitShaping {
  /** Fixed id of the call site; each row uses word `row` of this stream. */
  readonly stream: number;
}

/** The shaping uniforms, validated: an absent temperature is 1, an absent tanh constant switches tanh off. */
export function shapingUniforms(fn: string, o: LogitShaping): { temperature: number; tanhConstant: number; tanh: boolean } {
  const temperature = o.temperature ?? 1;
  if (!(Number.isFinite(temperature) && temperature > 0))
    throw new Error(`${fn}: temperature = ${o.temperature}; pass a positive number or omit it`);
  const tanh = o.tanhConstant !== undefined;
  const tanhConstant = o.tanhConstant ?? 1;
  if (!Number.isFinite(tanhConstant)) throw new Error(`${fn}: tanhConstant = ${o.tanhConstant}; pass a finite number or omit it`);
  return { temperature, tanhConstant, tanh };
}

export function categoricalSample(rec: Recorder, t: CategoricalSampleOperands, s: SampleShape, options: CategoricalSampleOptions): void {
  const fn = 'categoricalSample';
  checkRowShape(fn, s);
  checkRngState(fn, t.rng);
  checkStream(fn, options.stream);
  checkRowOperand(fn, 'logits', t.logits, s.B * s.K, s);
  if (t.bias && t.bias.size < s.K * 4) throw new Error(`${fn}: bias holds ${Math.floor(t.bias.size / 4)} floats but must be [K=${s.K}]`);
  checkRowOperand(fn, 'index', t.index, s.B, s, 'u32');
  checkRowOperand(fn, 'logProb', t.logProb, s.B, s);
  checkRowOperand(fn, 'entropy', t.entropy, s.B, s);
  if (t.shaped) checkRowOperand(fn, 'shaped', t.shaped, s.B * s.K, s);
  const u = shapingUniforms(fn, options);
  categoricalSampleKernel.dispatch(rec, {
    config: { tanh: u.tanh, bias: !!t.bias, wg: rowWorkgroupSize(s.K), writeShaped: !!t.shaped },
    bind: {
      rng: t.rng,
      logits: t.logits,
      bias: t.bias ?? unusedBinding(rec.ctx),
      index: t.index,
      logProb: t.logProb,
      entropy: t.entropy,
      shaped: t.shaped ?? unusedWritableBinding(rec.ctx),
    },
    uniforms: { B: s.B, K: s.K, temperature: u.temperature, tanhConstant: u.tanhConstant, stream: options.stream },
    grid: rowGrid(rec.ctx, s.B),
  });
}
