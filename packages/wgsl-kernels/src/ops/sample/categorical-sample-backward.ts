/**
 * Gradient of the sampler's outputs with respect to the raw logits. With z the shaped logits, p = softmax(z),
 * s the sampled index and H the entropy:
 *
 *   ∂ log p_s / ∂z_k = [k = s] − p_k          ∂H / ∂z_k = −p_k (log p_k + H)
 *
 * then through the shaping, ∂z/∂logit = tanh_constant · (1 − tanh²) / temperature (or 1 / temperature). The
 * REINFORCE loss of the controller reaches the logits through both: Σ −log p · (R − b), and, in the official
 * code, the entropy bonus that is added to the reward (reference notes a.0).
 *
 * Elementwise over [B, K]: the forward's log p_s and H give the normaliser (log Σ exp z = z_s − log p_s), so no
 * reduction is repeated here.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite, unusedBinding } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import { checkRowOperand, checkRowShape } from '../loss/row-reduce.js';
import { type LogitShaping, type SampleShape, type ShapingConfig, shapingUniforms, shapingWgsl } from './categorical-sample.js';

const WG = 64;

interface SampleBackwardConfig extends ShapingConfig {
  readonly hasDLogProb: boolean;
  readonly hasDEntropy: boolean;
  readonly accumulate: boolean;
}

export const categoricalSampleBackwardKernel = defineKernel({
  name: 'categorical_sample_backward',
  bindings: {
    logits: read(),
    bias: read(),
    index: read('u32'),
    logProb: read(),
    entropy: read(),
    dLogProb: read(),
    dEntropy: read(),
    dLogits: readWrite(),
  },
  uniforms: { B: 'u32', K: 'u32', temperature: 'f32', tanhConstant: 'f32' },
  workgroupSize: [WG, 1, 1],
  wgsl: (c: SampleBackwardConfig) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${shapingWgsl(c)}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.B * u.K) { return; }
  let row = i / u.K;
  let k = i - row * u.K;
  let base = row * u.K;
  let chosen = min(index[row], u.K - 1u);
  let logZ = shapedLogit(base, chosen).x - logProb[row];
  let zk = shapedLogit(base, k);
  let logP = zk.x - logZ;
  let p = exp(logP);
  var g = 0.0;
  ${c.hasDLogProb ? 'g = g + dLogProb[row] * (select(0.0, 1.0, k == chosen) - p);' : ''}
  ${c.hasDEntropy ? 'g = g - dEntropy[row] * p * (logP + entropy[row]);' : ''}
  g = g * zk.y;
  ${c.accumulate ? 'dLogits[i] = dLogits[i] + g;' : 'dLogits[i] = g;'}
}`,
});

export interface CategoricalSampleGradients {
  /** The forward's inputs: raw logits [B, K] and the optional bias [K]. */
  readonly logits: BufferSlice;
  readonly bias?: BufferSlice;
  /** The forward's outputs: index (u32 [B]), log p(index) and entropy ([B]). */
  readonly index: BufferSlice;
  readonly logProb: BufferSlice;
  readonly entropy: BufferSlice;
  /** Gradient of log p(index) per row [B]; omitted = 0. */
  readonly dLogProb?: BufferSlice;
  /** Gradient of the entropy per row [B]; omitted = 0. */
  readonly dEntropy?: BufferSlice;
  /** Written: gradient of the raw logits [B, K]. */
  readonly dLogits: BufferSlice;
}

export interface CategoricalSampleBackwardOptions extends LogitShaping {
  readonly accumulate?: boolean;
}

/** dLogits (+)= the gradient, through shaping, of Σ dLogProb·log p(index) + dEntropy·H. Same shaping as the forward. */
export function categoricalSampleBackward(
  rec: Recorder,
  t: CategoricalSampleGradients,
  s: SampleShape,
  options: CategoricalSampleBackwardOptions = {},
): void {
  const fn = 'categoricalSampleBackward';
  checkRowShape(fn, s);
  if (!t.dLogProb && !t.dEntropy) throw new Error(`${fn}: give dLogProb, dEntropy or both; with neither the gradient is 0`);
  checkRowOperand(fn, 'logits', t.logits, s.B * s.K, s);
  checkRowOperand(fn, 'dLogits', t.dLogits, s.B * s.K, s);
  if (t.bias && t.bias.size < s.K * 4) throw new Error(`${fn}: bias holds ${Math.floor(t.bias.size / 4)} floats but must be [K=${s.K}]`);
  checkRowOperand(fn, 'index', t.index, s.B, s, 'u32');
  for (const name of ['logProb', 'entropy', 'dLogProb', 'dEntropy'] as const) {
    const slice = t[name];
    if (slice) checkRowOperand(fn, name, slice, s.B, s);
  }
  const u = shapingUniforms(fn, options);
  const config: SampleBackwardConfig = {
    tanh: u.tanh,
    bias: !!t.bias,
    hasDLogProb: !!t.dLogProb,
    hasDEntropy: !!t.dEntropy,
    accumulate: !!options.accumulate,
  };
  const unused = unusedBinding(rec.ctx);
  const bind = {
    logits: t.logits,
    bias: t.bias ?? unused,
    index: t.index,
    logProb: t.logProb,
    entropy: t.entropy,
    dLogProb: t.dLogProb ?? unused,
    dEntropy: t.dEntropy ?? unused,
    dLogits: t.dLogits,
  };
  categoricalSampleBackwardKernel.dispatch(rec, {
    config,
    bind,
    uniforms: { B: s.B, K: s.K, temperature: u.temperature, tanhConstant: u.tanhConstant },
    grid: grid1d(rec.ctx, s.B * s.K, WG),
  });
}
