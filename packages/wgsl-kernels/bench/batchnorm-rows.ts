/**
 * Batch norm in training mode at the ENAS micro child's shapes (20 channels at 32×32, 40 at 16×16, 80 at 8×8;
 * batch 160): forward (statistics, normalisation, running averages) and forward + backward (dx, dγ, dβ), ms per
 * call. Ours as the wrapper plans it (on a GPU: channels reduced in chunks, batchnorm-split.ts), and on a GPU also
 * with one workgroup per channel (splits 1), so a run shows what the split path is worth. The tfjs column is
 * tf.moments + tf.batchNorm (NHWC), forward only.
 */
import { Recorder } from '../src/kernel/recorder.js';
import { type BufferSlice, wholeBuffer } from '../src/kernel/slice.js';
import { batchNormTrain } from '../src/ops/batchnorm/batchnorm.js';
import { batchNormBackward } from '../src/ops/batchnorm/batchnorm-backward.js';
import { batchNormSplitPlan } from '../src/ops/batchnorm/batchnorm-split.js';
import { attempt, type BenchEnv, randomF32 } from './env.js';
import type { BenchRow } from './table.js';

const CASES = [
  { C: 20, size: 32 },
  { C: 40, size: 16 },
  { C: 80, size: 8 },
] as const;

export async function batchNormRows(env: BenchEnv, batch: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ctx = env.ctx;
  for (const { C, size } of CASES) {
    const shape = { N: batch, C, H: size, W: size };
    const total = batch * C * size * size;
    const planned = batchNormSplitPlan(ctx, shape).splits;
    const splitsToTime = planned > 1 ? [planned, 1] : [planned];
    const label = `batch norm ${batch}×${C}×${size}×${size}`;
    for (const withBackward of [false, true]) {
      const pass = withBackward ? 'forward+backward' : 'forward';
      const tfjs =
        env.peer && !withBackward
          ? await attempt(env, 'tfjs', async () => {
              const { tf } = env.peer!;
              const x = tf.tensor4d(randomF32(total, 21), [batch, size, size, C]);
              const gamma = tf.ones([C]);
              const beta = tf.zeros([C]);
              try {
                return await env.timer.measure(
                  () => {
                    const { mean, variance } = tf.moments(x, [0, 1, 2]);
                    tf.batchNorm(x, mean, variance, beta, gamma, 1e-5).dispose();
                    mean.dispose();
                    variance.dispose();
                  },
                  { targetSeconds: env.targetSeconds, flush: env.peer!.flush },
                );
              } finally {
                for (const t of [x, gamma, beta]) t.dispose();
              }
            })
          : {};
      for (const splits of splitsToTime) {
        env.log(`${label} ${pass} (${splits} chunk${splits > 1 ? 's' : ''} per channel)`);
        const ours = await attempt(env, 'ours', async () => {
          const big = (name: string, seed: number) => {
            const s = wholeBuffer(ctx.createStorageBuffer(`bench bn ${name}`, total * 4));
            ctx.writeBuffer(s.buffer, 0, randomF32(total, seed));
            return s;
          };
          const small = (name: string, value: number) => {
            const s = wholeBuffer(ctx.createStorageBuffer(`bench bn ${name}`, C * 4));
            ctx.writeBuffer(s.buffer, 0, new Float32Array(C).fill(value));
            return s;
          };
          const [x, y, dy, dx] = [big('x', 21), big('y', 22), big('dy', 23), big('dx', 24)];
          const [saveMean, saveInvStd, gamma, beta, runningMean, runningVar, dgamma, dbeta] = [
            small('mean', 0),
            small('invStd', 1),
            small('gamma', 1),
            small('beta', 0),
            small('running mean', 0),
            small('running var', 1),
            small('dgamma', 0),
            small('dbeta', 0),
          ];
          const all: BufferSlice[] = [x, y, dy, dx, saveMean, saveInvStd, gamma, beta, runningMean, runningVar, dgamma, dbeta];
          try {
            return await env.timer.measure(
              () => {
                const rec = new Recorder(ctx, 'bench batch norm');
                batchNormTrain(rec, { x, y, saveMean, saveInvStd, gamma, beta, runningMean, runningVar }, shape, { splits });
                if (withBackward) {
                  batchNormBackward(rec, { x, dy, dx, saveMean, saveInvStd, gamma, dgamma, dbeta }, shape, { mode: 'training', splits });
                }
                rec.submit();
              },
              { targetSeconds: env.targetSeconds },
            );
          } finally {
            for (const s of all) ctx.destroyBuffer(s.buffer);
          }
        });
        const notes = [splits === planned ? '' : 'one workgroup per channel, not the default', ours.error, tfjs.error].filter(Boolean);
        rows.push({
          section: 'batchnorm',
          op: `${label}, ${pass} (ours: ${splits} chunk${splits > 1 ? 's' : ''} per channel)`,
          unit: 'ms',
          ours: ours.value ? ours.value.seconds * 1000 : undefined,
          tfjs: splits === planned && tfjs.value ? tfjs.value.seconds * 1000 : undefined,
          note: notes.join('; '),
        });
      }
    }
  }
  return rows;
}
