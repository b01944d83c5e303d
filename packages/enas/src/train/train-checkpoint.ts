/**
 * Everything a from-scratch training needs to continue exactly where it stopped, as named f32 tensors plus a JSON
 * metadata record (as search-checkpoint.ts does for a search): the network's parameters and BN running averages,
 * the optimizer's momentum, the step counter, the batch order and the GPU random state. A run resumed from it
 * draws the same batches, augmentations, dropout and drop-path masks, and computes the same losses, as the
 * uninterrupted run. The CLI stores it as safetensors; this module only moves values between the GPU and the CPU.
 *
 * Tensor names: `fixed/<key>` (parameters), `running/<bn key>/moving_mean|moving_variance`,
 * `optimizer/momentum/<key>`.
 */
import { readNamedSlices, type Tensor, writeNamedSlices } from '@enas-webgpu/autograd';
import type { BufferSlice } from '@enas-webgpu/wgsl-kernels';
import type { ImageBatcherState } from '../search/image-batcher.js';
import type { FixedTraining } from './fixed-training.js';

export interface TrainCheckpointMeta {
  format: 1;
  space: 'micro' | 'macro';
  /** The architecture trained (a checkpoint of another one is refused). */
  arc: string;
  /** Training steps taken. */
  steps: number;
  batcher: ImageBatcherState;
  random: { seed: number; steps: number };
  optimizer: Record<string, number>;
  /** The driver's own loop state (e.g. the CLI's running epoch averages), stored as given. */
  extra?: Record<string, unknown>;
}

export interface CapturedTraining {
  tensors: Map<string, { shape: readonly number[]; data: Float32Array }>;
  meta: TrainCheckpointMeta;
}

function namedSlices(t: FixedTraining): { slices: [string, BufferSlice][]; shapes: Map<string, readonly number[]> } {
  const shapes = new Map<string, readonly number[]>();
  const slices: [string, BufferSlice][] = [];
  const addTensor = (name: string, x: Tensor) => {
    slices.push([name, { ...x.data, size: x.size * 4 }]);
    shapes.set(name, x.shape);
  };
  for (const [k, x] of t.network.namedParameters()) addTensor(`fixed/${k}`, x);
  for (const [k, x] of t.network.namedBuffers()) addTensor(`running/${k}`, x);
  const byName = new Map(t.network.group.tensors.map((x) => [x.name, x.shape] as const));
  for (const [k, s] of t.optimizer.namedState()) {
    slices.push([`optimizer/${k}`, s]);
    shapes.set(`optimizer/${k}`, byName.get(k.slice(k.indexOf('/') + 1)) ?? [s.size / 4]);
  }
  return { slices, shapes };
}

/** Reads the whole training state (between steps). */
export async function captureTraining(t: FixedTraining, extra?: Record<string, unknown>): Promise<CapturedTraining> {
  const { slices, shapes } = namedSlices(t);
  const values = await readNamedSlices(t.engine.ctx, slices);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name] of slices) tensors.set(name, { shape: shapes.get(name) ?? [], data: values.get(name) as Float32Array });
  return {
    tensors,
    meta: {
      format: 1,
      space: t.network.space,
      arc: t.network.arc,
      steps: t.steps,
      batcher: t.batcher.state,
      random: t.engine.randomState,
      optimizer: t.optimizer.scalarState(),
      ...(extra ? { extra } : {}),
    },
  };
}

/** Writes a captured state back into a training built with the same configuration (between steps). */
export function restoreTraining(t: FixedTraining, tensors: ReadonlyMap<string, ArrayBufferView>, meta: TrainCheckpointMeta): void {
  if (meta.format !== 1) throw new Error(`checkpoint format ${meta.format} is not readable by this version (format 1)`);
  if (meta.space !== t.network.space || meta.arc !== t.network.arc) {
    throw new Error(
      `the checkpoint trains the ${meta.space} architecture '${meta.arc}', not the ${t.network.space} architecture '${t.network.arc}'`,
    );
  }
  if (!Number.isInteger(meta.steps) || meta.steps < 0 || meta.steps > t.totalSteps) {
    throw new Error(`the checkpoint is at step ${meta.steps}; this run has ${t.totalSteps} steps`);
  }
  const { slices } = namedSlices(t);
  writeNamedSlices(t.engine.ctx, slices, tensors, 'checkpoint');
  t.steps = meta.steps;
  t.batcher.restore(meta.batcher);
  t.engine.restoreRandomState(meta.random);
  t.optimizer.restoreScalarState(meta.optimizer);
}
