/**
 * fp32 matmul C = A·B at square sizes, GFLOP/s (2n³ per product), ours beside tf.matMul. The variant of ours is
 * the one the wrapper chooses on this adapter (named in the row), and on a GPU also the other large-tile variant. At the smallest size both results are read
 * back and compared, so the two rows are known to compute the same thing.
 */
import { Recorder } from '../src/kernel/recorder.js';
import { wholeBuffer } from '../src/kernel/slice.js';
import { chooseMatmulVariant, type MatmulVariant, matmul } from '../src/ops/matmul/matmul.js';
import { compareClose } from '../src/testing/compare.js';
import { download } from '../src/testing/gpu-harness.js';
import { attempt, type BenchEnv, randomF32 } from './env.js';
import type { BenchRow } from './table.js';

/**
 * The variants timed at a size: the one the wrapper chooses, and on a GPU also the other large-product variant,
 * so a GPU run shows whether `chooseMatmulVariant` picks the faster one.
 */
function variantsToTime(env: BenchEnv, n: number): MatmulVariant[] {
  const chosen = chooseMatmulVariant(env.ctx, { M: n, N: n, K: n });
  if (env.software || (chosen !== 'tiled' && chosen !== 'tiled128')) return [chosen];
  return [chosen, chosen === 'tiled' ? 'tiled128' : 'tiled'];
}

export async function matmulRows(env: BenchEnv, sizes: readonly number[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [index, n] of sizes.entries()) {
    const flops = 2 * n ** 3;
    const shape = { M: n, N: n, K: n };
    const checkAgreement = index === 0;
    const aData = randomF32(n * n, 1);
    const bData = randomF32(n * n, 2);

    let tfjsResult: Float32Array | undefined;
    const peer = env.peer;
    env.log(`matmul ${n}³ (tfjs)`);
    const tfjs = peer
      ? await attempt(env, 'tfjs', async () => {
          const { tf } = peer;
          const a = tf.tensor2d(aData, [n, n]);
          const b = tf.tensor2d(bData, [n, n]);
          try {
            const m = await env.timer.measure(() => tf.matMul(a, b).dispose(), { targetSeconds: env.targetSeconds, flush: peer.flush });
            if (checkAgreement) {
              const c = tf.matMul(a, b);
              tfjsResult = (await c.data()) as Float32Array;
              c.dispose();
            }
            return m;
          } finally {
            a.dispose();
            b.dispose();
          }
        })
      : {};

    for (const variant of variantsToTime(env, n)) {
      env.log(`matmul ${n}³ (${variant})`);
      let oursResult: Float32Array | undefined;
      const ours = await attempt(env, 'ours', async () => {
        const ctx = env.ctx;
        const [a, b, c] = ['A', 'B', 'C'].map((name) => wholeBuffer(ctx.createStorageBuffer(`bench matmul ${name}`, n * n * 4)));
        try {
          ctx.writeBuffer(a!.buffer, 0, aData);
          ctx.writeBuffer(b!.buffer, 0, bData);
          const m = await env.timer.measure(
            () => {
              const rec = new Recorder(ctx, 'bench matmul');
              matmul(rec, { a: a!, b: b!, c: c! }, shape, { variant });
              rec.submit();
            },
            { targetSeconds: env.targetSeconds },
          );
          if (checkAgreement) oursResult = await download(ctx, c!);
          return m;
        } finally {
          for (const s of [a, b, c]) ctx.destroyBuffer(s!.buffer);
        }
      });

      const notes: string[] = [];
      if (oursResult && tfjsResult) {
        const { maxRelError } = compareClose(oursResult, tfjsResult, { rtol: Number.POSITIVE_INFINITY });
        notes.push(`results agree to ${maxRelError.toExponential(1)}`);
      }
      if (ours.error) notes.push(ours.error);
      if (tfjs.error) notes.push(tfjs.error);
      rows.push({
        section: 'matmul',
        op: `matmul ${n}³ fp32 (ours: ${variant}${variant === chooseMatmulVariant(env.ctx, shape) ? '' : ', not the default'})`,
        unit: 'GFLOP/s',
        ours: ours.value ? flops / ours.value.seconds / 1e9 : undefined,
        tfjs: tfjs.value ? flops / tfjs.value.seconds / 1e9 : undefined,
        note: notes.join('; '),
      });
    }
  }
  return rows;
}
