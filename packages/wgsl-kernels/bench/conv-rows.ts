/**
 * Convolutions at the ENAS micro-search child's shapes (official search config: out_filters 20, doubling at each of
 * the two reductions; batch 160): 20 channels at 32×32, 40 at 16×16, 80 at 8×8, stride 1, SAME padding.
 *   conv k×k        C→C (the macro space's convolutions; the 3×3 stem is the same kernel)
 *   separable k×k   depthwise k×k then pointwise 1×1 C→C (the micro space's sep_conv 3×3 / 5×5 building block)
 * Time per call, forward alone and forward + backward (gradients of the input and of every filter).
 *
 * tfjs runs in NHWC, its native and fastest layout; ours will run NCHW (the engine's layout). The tfjs side is
 * complete; OUR side is the hook below, to be filled in when the conv kernels land.
 */
import type { Tensor4D } from '@tensorflow/tfjs';
import type { GpuContext } from '../src/device/context.js';
import { Recorder } from '../src/kernel/recorder.js';
import { attempt, type BenchEnv } from './env.js';
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

/** Operands allocated for one case and a function that records one call (forward, or forward + backward). */
export interface PreparedConv {
  record(rec: Recorder): void;
  destroy(): void;
}

/**
 * OUR SIDE OF THE CONV ROWS: undefined until the conv kernels are on main; the rows then show '—' for ours.
 * To enable, set it to an object whose `prepare` allocates NCHW operands for `batch`×`c.channels`×`c.size`²
 * (random values), and records, per call:
 *   conv       conv2d forward;                 with backward also grad-input and grad-weight
 *   separable  depthwise k×k then pointwise;   with backward also both grad-inputs and both grad-weights
 * e.g. (names as the conv family will export them):
 *   export const OUR_CONV: OurConv = {
 *     prepare(ctx, c, batch, withBackward) {
 *       const x = ..., w = ..., y = ...;   // ctx.createStorageBuffer(...) wrapped in wholeBuffer(...)
 *       return { record: (rec) => { conv2d(rec, { x, w, y }, shape); if (withBackward) conv2dBackward(rec, ...); },
 *                destroy: () => [x, w, y].forEach((s) => ctx.destroyBuffer(s.buffer)) };
 *     },
 *   };
 */
export interface OurConv {
  prepare(ctx: GpuContext, c: ConvCase, batch: number, withBackward: boolean): PreparedConv;
}
export const OUR_CONV: OurConv | undefined = undefined;

export function convLabel(c: ConvCase, batch: number): string {
  const what = c.kind === 'conv' ? `conv ${c.kernel}×${c.kernel}` : `separable ${c.kernel}×${c.kernel}`;
  return `${what} ${c.channels}→${c.channels}, ${batch}×${c.size}×${c.size}`;
}

export async function convRows(env: BenchEnv, batch: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of ENAS_CONV_CASES) {
    for (const withBackward of [false, true]) {
      const pass = withBackward ? 'forward+backward' : 'forward';
      env.log(`${convLabel(c, batch)} ${pass}`);
      const ours = OUR_CONV ? await attempt(env, 'ours', () => measureOurs(env, OUR_CONV as OurConv, c, batch, withBackward)) : {};
      const tfjs = env.peer ? await attempt(env, 'tfjs', () => measureTfjs(env, c, batch, withBackward)) : {};
      rows.push({
        section: 'conv',
        op: `${convLabel(c, batch)}, ${pass}`,
        unit: 'ms',
        ours: ours.value,
        tfjs: tfjs.value,
        note: [OUR_CONV ? '' : 'ours: conv kernels not merged yet', ours.error, tfjs.error].filter(Boolean).join('; '),
      });
    }
  }
  return rows;
}

async function measureOurs(env: BenchEnv, our: OurConv, c: ConvCase, batch: number, withBackward: boolean): Promise<number> {
  const prepared = our.prepare(env.ctx, c, batch, withBackward);
  try {
    const m = await env.timer.measure(
      () => {
        const rec = new Recorder(env.ctx, 'bench conv');
        prepared.record(rec);
        rec.submit();
      },
      { targetSeconds: env.targetSeconds },
    );
    return m.seconds * 1e3;
  } finally {
    prepared.destroy();
  }
}

async function measureTfjs(env: BenchEnv, c: ConvCase, batch: number, withBackward: boolean): Promise<number> {
  const peer = env.peer;
  if (!peer) throw new Error('tfjs is not loaded');
  const { tf } = peer;
  const k = c.kernel;
  const C = c.channels;
  const random = (shape: [number, number, number, number], scale: number, seed: number) =>
    tf.randomUniform(shape, -scale, scale, 'float32', seed) as Tensor4D;
  const x = random([batch, c.size, c.size, C], 1, 11);
  const dy = random([batch, c.size, c.size, C], 1, 12);
  // conv: one k×k×C×C filter; separable: depthwise k×k×C×1 and pointwise 1×1×C×C.
  const filters = c.kind === 'conv' ? [random([k, k, C, C], 0.1, 13)] : [random([k, k, C, 1], 0.1, 13), random([1, 1, C, C], 0.1, 14)];
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
    return m.seconds * 1e3;
  } finally {
    for (const t of [x, dy, ...filters]) t.dispose();
  }
}
