/**
 * Convolutions at the ENAS micro-search child's shapes (official search config: out_filters 20, doubling at each of
 * the two reductions; batch 160): 20 channels at 32×32, 40 at 16×16, 80 at 8×8, stride 1, SAME padding.
 *   conv k×k        C→C (the macro space's convolutions; the 3×3 stem is the same kernel)
 *   separable k×k   depthwise k×k then pointwise 1×1 C→C (the micro space's sep_conv 3×3 / 5×5 building block)
 * Time per call, forward alone and forward + backward (gradients of the input and of every filter).
 *
 * tfjs runs in NHWC, its native and fastest layout; ours NCHW (the engine's layout; conv-ours.ts). Both engines get
 * the same input values, each in its own layout, and on the forward rows both outputs are read back and compared,
 * so the two columns are known to compute the same thing.
 */
import type { Tensor4D } from '@tensorflow/tfjs';
import { Recorder } from '../src/kernel/recorder.js';
import { compareClose } from '../src/testing/compare.js';
import { type ConvData, prepareOurConv } from './conv-ours.js';
import { attempt, type BenchEnv, randomF32 } from './env.js';
import type { BenchRow } from './table.js';

export type ConvKind = 'conv' | 'separable';

export interface ConvCase {
  readonly kind: ConvKind;
  readonly kernel: 3 | 5;
  readonly channels: number;
  readonly size: number;
}

export const ENAS_CONV_CASES: readonly ConvCase[] = [
  { kind: 'conv', kernel: 3, channels: 20, size: 32 },
  { kind: 'conv', kernel: 3, channels: 40, size: 16 },
  { kind: 'conv', kernel: 3, channels: 80, size: 8 },
  { kind: 'separable', kernel: 3, channels: 20, size: 32 },
  { kind: 'separable', kernel: 3, channels: 40, size: 16 },
  { kind: 'separable', kernel: 3, channels: 80, size: 8 },
  { kind: 'separable', kernel: 5, channels: 20, size: 32 },
  { kind: 'separable', kernel: 5, channels: 40, size: 16 },
  { kind: 'separable', kernel: 5, channels: 80, size: 8 },
];

export function convLabel(c: ConvCase, batch: number): string {
  const what = c.kind === 'conv' ? `conv ${c.kernel}×${c.kernel}` : `separable ${c.kernel}×${c.kernel}`;
  return `${what} ${c.channels}→${c.channels}, ${batch}×${c.size}×${c.size}`;
}

/** Deterministic inputs of one case, in our layouts (conv-ours.ts); scaled as tfjs's side always was. */
function convData(c: ConvCase, batch: number): ConvData {
  const C = c.channels;
  const k = c.kernel;
  const activation = batch * C * c.size * c.size;
  const scaled = (n: number, scale: number, seed: number) => randomF32(n, seed).map((v) => v * scale);
  const filters = c.kind === 'conv' ? [scaled(C * C * k * k, 0.1, 13)] : [scaled(C * k * k, 0.1, 13), scaled(C * C, 0.1, 14)];
  return { x: randomF32(activation, 11), dy: randomF32(activation, 12), filters };
}

export async function convRows(env: BenchEnv, batch: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of ENAS_CONV_CASES) {
    const data = convData(c, batch);
    for (const withBackward of [false, true]) {
      const pass = withBackward ? 'forward+backward' : 'forward';
      env.log(`${convLabel(c, batch)} ${pass}`);
      const ours = await attempt(env, 'ours', () => measureOurs(env, c, batch, data, withBackward));
      const tfjs = env.peer ? await attempt(env, 'tfjs', () => measureTfjs(env, c, batch, data, withBackward)) : {};
      const notes: string[] = [];
      if (ours.value?.y && tfjs.value?.y) {
        const { maxRelError } = compareClose(ours.value.y, tfjs.value.y, { rtol: Number.POSITIVE_INFINITY });
        notes.push(`results agree to ${maxRelError.toExponential(1)}`);
      }
      for (const error of [ours.error, tfjs.error]) if (error) notes.push(error);
      rows.push({
        section: 'conv',
        op: `${convLabel(c, batch)}, ${pass}`,
        unit: 'ms',
        ours: ours.value?.ms,
        tfjs: tfjs.value?.ms,
        note: notes.join('; '),
      });
    }
  }
  return rows;
}

/** Milliseconds per call, and on forward rows the output y [N, C, H, W] for the agreement check. */
interface ConvTiming {
  readonly ms: number;
  readonly y?: Float32Array;
}

async function measureOurs(env: BenchEnv, c: ConvCase, batch: number, data: ConvData, withBackward: boolean): Promise<ConvTiming> {
  const prepared = prepareOurConv(env.ctx, c, batch, data, withBackward);
  try {
    const m = await env.timer.measure(
      () => {
        const rec = new Recorder(env.ctx, 'bench conv');
        prepared.record(rec);
        rec.submit();
      },
      { targetSeconds: env.targetSeconds },
    );
    return { ms: m.seconds * 1e3, y: withBackward ? undefined : await prepared.readY() };
  } finally {
    prepared.destroy();
  }
}

async function measureTfjs(env: BenchEnv, c: ConvCase, batch: number, data: ConvData, withBackward: boolean): Promise<ConvTiming> {
  const peer = env.peer;
  if (!peer) throw new Error('tfjs is not loaded');
  const { tf } = peer;
  const k = c.kernel;
  const C = c.channels;
  const nhwc = (values: Float32Array) => tf.tidy(() => tf.tensor4d(values, [batch, C, c.size, c.size]).transpose([0, 2, 3, 1]) as Tensor4D);
  const x = nhwc(data.x);
  const dy = nhwc(data.dy);
  // conv: one k×k×C×C filter (ours [Cout, Cin, k, k]); separable: depthwise k×k×C×1 (ours [C, k, k]) and pointwise
  // 1×1×C×C (ours [Cout, Cin, 1, 1]).
  const [f0, f1] = data.filters as [Float32Array, Float32Array | undefined];
  const filters = tf.tidy(() =>
    c.kind === 'conv'
      ? [tf.tensor4d(f0, [C, C, k, k]).transpose([2, 3, 1, 0]) as Tensor4D]
      : [
          tf.tensor4d(f0, [C, k, k, 1]).transpose([1, 2, 0, 3]) as Tensor4D,
          tf.tensor4d(f1 as Float32Array, [C, C, 1, 1]).transpose([2, 3, 1, 0]) as Tensor4D,
        ],
  );
  const forward = (input: Tensor4D, f: Tensor4D[]): Tensor4D =>
    c.kind === 'conv'
      ? tf.conv2d(input, f[0] as Tensor4D, 1, 'same')
      : tf.separableConv2d(input, f[0] as Tensor4D, f[1] as Tensor4D, 1, 'same');
  const gradients = tf.grads((...args) => forward(args[0] as Tensor4D, args.slice(1) as Tensor4D[]));
  try {
    const work = withBackward
      ? () => {
          for (const g of gradients([x, ...filters], dy)) g.dispose();
        }
      : () => forward(x, filters).dispose();
    const m = await env.timer.measure(work, { targetSeconds: env.targetSeconds, flush: peer.flush });
    if (withBackward) return { ms: m.seconds * 1e3 };
    const y = tf.tidy(() => forward(x, filters).transpose([0, 3, 1, 2]));
    const values = (await y.data()) as Float32Array;
    y.dispose();
    return { ms: m.seconds * 1e3, y: values };
  } finally {
    for (const t of [x, dy, ...filters]) t.dispose();
  }
}
