/**
 * Fixed costs, on a 256-element y = 2·x where the arithmetic is nothing:
 *   µs per dispatch   many dispatches recorded into one pass and submitted once (ours), or as many tf.mul calls
 *                     (tfjs batches them into passes and submits every few); total time / count.
 *   µs per submit     one dispatch, submit, await onSubmittedWorkDone: the round trip a step pays once (wall clock).
 *   µs per readback   a 4-float y = 2·x, then its 16 bytes to the CPU (ours: copy + mapAsync; tfjs: tensor.data())
 *                     (wall clock).
 * These bound how many kernels a training step can afford (ENAS children run hundreds per step).
 */
import { Recorder } from '../src/kernel/recorder.js';
import { wholeBuffer } from '../src/kernel/slice.js';
import { scale, scaleKernel } from '../src/ops/elementwise/binary.js';
import { prepareElementwise } from '../src/ops/elementwise/elementwise-kernel.js';
import { download } from '../src/testing/gpu-harness.js';
import { attempt, type BenchEnv, randomF32 } from './env.js';
import type { BenchRow } from './table.js';
import { wallMicroseconds } from './timing.js';

const TINY = 256;

export async function overheadRows(env: BenchEnv): Promise<BenchRow[]> {
  const ctx = env.ctx;
  const peer = env.peer;
  const dispatches = env.software ? 2000 : 10000;
  const roundTrips = env.software ? 200 : 1000;
  const data = randomF32(TINY, 4);
  const x = wholeBuffer(ctx.createStorageBuffer('bench tiny x', data));
  const y = wholeBuffer(ctx.createStorageBuffer('bench tiny y', TINY * 4));
  const tx = peer?.tf.tensor1d(data);
  const two = peer?.tf.scalar(2);
  const rows: BenchRow[] = [];
  const perDispatch = (m: { seconds: number } | undefined) => (m ? (m.seconds * 1e6) / dispatches : undefined);
  try {
    env.log(`${dispatches} dispatches in one pass`);
    const ours = await attempt(env, 'ours', () =>
      env.timer.measure(
        () => {
          const rec = new Recorder(ctx, 'bench dispatches');
          for (let i = 0; i < dispatches; i++) scale(rec, x, y, TINY, 2);
          rec.submit();
        },
        { targetSeconds: env.targetSeconds },
      ),
    );
    // The training loop's path: everything resolved once (pipeline, uniform record, bind group), then replayed.
    const prepared = prepareElementwise(ctx, scaleKernel, { accumulate: false }, { x, y }, { n: TINY, alpha: 2 });
    const oursPrepared = await attempt(env, 'ours prepared', () =>
      env.timer.measure(
        () => {
          const rec = new Recorder(ctx, 'bench prepared dispatches');
          for (let i = 0; i < dispatches; i++) rec.dispatch(prepared);
          rec.submit();
        },
        { targetSeconds: env.targetSeconds },
      ),
    );
    const tfjs =
      peer && tx && two
        ? await attempt(env, 'tfjs', () =>
            env.timer.measure(
              () => {
                for (let i = 0; i < dispatches; i++) peer.tf.mul(tx, two).dispose();
              },
              { targetSeconds: env.targetSeconds, flush: peer.flush },
            ),
          )
        : {};
    rows.push({
      section: 'overhead',
      op: `dispatch in a batched pass (${TINY} floats, ${dispatches} per submit; ours: wrapper call)`,
      unit: 'µs',
      ours: perDispatch(ours.value),
      tfjs: perDispatch(tfjs.value),
      note: [ours.error, tfjs.error].filter(Boolean).join('; '),
    });
    rows.push({
      section: 'overhead',
      op: 'dispatch in a batched pass, ours prepared once and replayed',
      unit: 'µs',
      ours: perDispatch(oursPrepared.value),
      note: oursPrepared.error ?? 'no tfjs equivalent (it builds a bind group per op)',
    });

    env.log(`${roundTrips} submit + onSubmittedWorkDone round trips`);
    const queue = ctx.device.queue;
    const oursSubmit = await attempt(env, 'ours', () =>
      wallMicroseconds(roundTrips, 10, async () => {
        const rec = new Recorder(ctx, 'bench submit');
        scale(rec, x, y, TINY, 2);
        rec.submit();
        await queue.onSubmittedWorkDone();
      }),
    );
    const tfjsSubmit =
      peer && tx && two
        ? await attempt(env, 'tfjs', () =>
            wallMicroseconds(roundTrips, 10, async () => {
              peer.tf.mul(tx, two).dispose();
              peer.flush();
              await queue.onSubmittedWorkDone();
            }),
          )
        : {};
    rows.push({
      section: 'overhead',
      op: 'one dispatch + submit + onSubmittedWorkDone',
      unit: 'µs',
      ours: oursSubmit.value,
      tfjs: tfjsSubmit.value,
      note: ['wall clock', oursSubmit.error, tfjsSubmit.error].filter(Boolean).join('; '),
    });

    // Both sides compute a fresh 4-float result and read it: tfjs caches the CPU copy of a tensor read once.
    env.log(`${roundTrips} readbacks of 16 bytes`);
    const small = { buffer: y.buffer, offset: 0, size: 16 };
    const oursRead = await attempt(env, 'ours', () =>
      wallMicroseconds(roundTrips, 10, async () => {
        const rec = new Recorder(ctx, 'bench readback');
        scale(rec, x, y, 4, 2);
        rec.submit();
        await download(ctx, small);
      }),
    );
    const tfjsSmall = peer?.tf.tensor1d(data.subarray(0, 4));
    const tfjsRead =
      peer && tfjsSmall && two
        ? await attempt(env, 'tfjs', () =>
            wallMicroseconds(roundTrips, 10, async () => {
              const t = peer.tf.mul(tfjsSmall, two);
              await t.data();
              t.dispose();
            }),
          )
        : {};
    tfjsSmall?.dispose();
    rows.push({
      section: 'overhead',
      op: 'y = 2·x on 4 floats, then read y (16 bytes, mapAsync)',
      unit: 'µs',
      ours: oursRead.value,
      tfjs: tfjsRead.value,
      note: ['wall clock', oursRead.error, tfjsRead.error].filter(Boolean).join('; '),
    });
  } finally {
    tx?.dispose();
    two?.dispose();
    ctx.destroyBuffer(x.buffer);
    ctx.destroyBuffer(y.buffer);
  }
  return rows;
}
