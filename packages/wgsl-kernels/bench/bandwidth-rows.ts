/**
 * Memory bandwidth, GB/s of bytes the kernel must move: y = 2·x (8 bytes per element: one read, one write) and
 * y = a + b (12 bytes), over buffers far larger than any cache. Ours: `scale` and `binary('add')`; tfjs: tf.mul
 * by a scalar tensor made once (so no per-call upload) and tf.add.
 */
import { Recorder } from '../src/kernel/recorder.js';
import { type BufferSlice, wholeBuffer } from '../src/kernel/slice.js';
import { binary, scale } from '../src/ops/elementwise/binary.js';
import { attempt, type BenchEnv, randomF32 } from './env.js';
import type { BenchRow } from './table.js';

/** 256 MiB per operand on a GPU, 64 MiB on a CPU adapter; never over one binding's limit. */
export function bandwidthElements(env: BenchEnv): number {
  const wanted = env.software ? 16 * 2 ** 20 : 64 * 2 ** 20;
  return Math.min(wanted, Math.floor(env.ctx.limits.maxStorageBufferBindingSize / 4));
}

export async function bandwidthRows(env: BenchEnv): Promise<BenchRow[]> {
  const n = bandwidthElements(env);
  const mib = (n * 4) / 2 ** 20;
  const data = randomF32(n, 3);
  const ops = [
    { name: 'scale y = 2·x', bytes: 8 * n, inputs: 1 },
    { name: 'add y = a + b', bytes: 12 * n, inputs: 2 },
  ] as const;
  const rows: BenchRow[] = [];
  for (const op of ops) {
    env.log(`${op.name}, ${mib} MiB per operand`);
    const ours = await attempt(env, 'ours', async () => {
      const ctx = env.ctx;
      const slices: BufferSlice[] = [];
      for (let i = 0; i <= op.inputs; i++) {
        const s = wholeBuffer(ctx.createStorageBuffer(`bench bandwidth ${i}`, n * 4));
        if (i < op.inputs) ctx.writeBuffer(s.buffer, 0, data);
        slices.push(s);
      }
      const [a, b] = slices as [BufferSlice, BufferSlice];
      const out = slices[op.inputs] as BufferSlice;
      try {
        return await env.timer.measure(
          () => {
            const rec = new Recorder(ctx, 'bench bandwidth');
            if (op.inputs === 1) scale(rec, a, out, n, 2);
            else binary(rec, 'add', a, b, out, n);
            rec.submit();
          },
          { targetSeconds: env.targetSeconds },
        );
      } finally {
        for (const s of slices) ctx.destroyBuffer(s.buffer);
      }
    });
    const peer = env.peer;
    const tfjs = peer
      ? await attempt(env, 'tfjs', async () => {
          const { tf } = peer;
          const x = tf.tensor1d(data);
          const other = op.inputs === 1 ? tf.scalar(2) : tf.tensor1d(data);
          try {
            const work = op.inputs === 1 ? () => tf.mul(x, other).dispose() : () => tf.add(x, other).dispose();
            return await env.timer.measure(work, { targetSeconds: env.targetSeconds, flush: peer.flush });
          } finally {
            x.dispose();
            other.dispose();
          }
        })
      : {};
    rows.push({
      section: 'bandwidth',
      op: `${op.name}, ${mib} MiB/operand`,
      unit: 'GB/s',
      ours: ours.value ? op.bytes / ours.value.seconds / 1e9 : undefined,
      tfjs: tfjs.value ? op.bytes / tfjs.value.seconds / 1e9 : undefined,
      note: [ours.error, tfjs.error].filter(Boolean).join('; '),
    });
  }
  return rows;
}
