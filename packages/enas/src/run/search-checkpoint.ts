/**
 * Everything a search needs to continue exactly where it stopped, as named f32 tensors plus a JSON metadata record:
 * the shared weights and their BN running averages, the controller, both optimizers' state, the REINFORCE
 * baseline, the step counters, the data order of both batchers, the GPU random state and the architecture the
 * last child step sampled ahead for the next. A run resumed from it draws the same architectures and minibatches,
 * and computes the same losses, as the uninterrupted run.
 * The CLI stores it as safetensors; this module only moves values between the GPU and the CPU.
 */
import { readNamedSlices, type Tensor, writeNamedSlices } from '@enas-webgpu/autograd';
import type { BufferSlice } from '@enas-webgpu/wgsl-kernels';
import type { CnnSearch } from '../search/cnn-search.js';
import type { ImageBatcherState } from '../search/image-batcher.js';

/** Where a search loop is within its schedule (the CLI's loop state). */
export interface SearchProgress {
  epoch: number;
  phase: 'child' | 'controller';
  /** Child steps done in this epoch. */
  childStep: number;
  /** Controller updates done in this epoch. */
  controllerStep: number;
}

export interface SearchCheckpointMeta {
  format: 1;
  space: string;
  progress: SearchProgress;
  childSteps: number;
  controllerUpdates: number;
  batchers: { train: ImageBatcherState; valid: ImageBatcherState };
  random: { seed: number; steps: number };
  childOptimizer: Record<string, number>;
  controllerOptimizer: Record<string, number>;
  /** Decision words of the next child's architecture, when the last step had sampled it ahead. */
  nextArchitectureWords?: number[];
  /** The driver's own loop state (e.g. the CLI's running epoch averages), stored as given. */
  extra?: Record<string, unknown>;
}

export interface CapturedState {
  tensors: Map<string, { shape: readonly number[]; data: Float32Array }>;
  meta: SearchCheckpointMeta;
}

function namedSlices<A>(search: CnnSearch<A>): { slices: [string, BufferSlice][]; shapes: Map<string, readonly number[]> } {
  const shapes = new Map<string, readonly number[]>();
  const slices: [string, BufferSlice][] = [];
  const addTensor = (name: string, t: Tensor) => {
    slices.push([name, { ...t.data, size: t.size * 4 }]);
    shapes.set(name, t.shape);
  };
  for (const [k, t] of search.space.network.namedParameters()) addTensor(`child/${k}`, t);
  for (const [k, t] of search.space.network.namedBuffers()) addTensor(`running/${k}`, t);
  for (const [k, t] of search.space.controller.namedParameters()) addTensor(`controller/${k}`, t);
  const byName = new Map(search.space.network.group.tensors.map((t) => [t.name, t.shape] as const));
  for (const [k, s] of search.childOptimizer.namedState()) {
    slices.push([`child-optimizer/${k}`, s]);
    shapes.set(`child-optimizer/${k}`, byName.get(k.slice(k.indexOf('/') + 1)) ?? [s.size / 4]);
  }
  const ctrlByName = new Map(search.space.controller.group.tensors.map((t) => [t.name, t.shape] as const));
  for (const [k, s] of search.controllerOptimizer.namedState()) {
    slices.push([`controller-optimizer/${k}`, s]);
    shapes.set(`controller-optimizer/${k}`, ctrlByName.get(k.slice(k.indexOf('/') + 1)) ?? [s.size / 4]);
  }
  addTensor('search/baseline', search.baseline);
  return { slices, shapes };
}

/** Reads the whole search state (between steps). */
export async function captureSearch<A>(
  search: CnnSearch<A>,
  progress: SearchProgress,
  extra?: Record<string, unknown>,
): Promise<CapturedState> {
  const { slices, shapes } = namedSlices(search);
  const values = await readNamedSlices(search.engine.ctx, slices);
  const nextWords = await search.pendingArchitectureWords();
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name] of slices) tensors.set(name, { shape: shapes.get(name) ?? [], data: values.get(name) as Float32Array });
  return {
    tensors,
    meta: {
      format: 1,
      space: search.space.name,
      progress,
      childSteps: search.childSteps,
      controllerUpdates: search.controllerUpdates,
      batchers: search.batcherState,
      random: search.engine.randomState,
      childOptimizer: search.childOptimizer.scalarState(),
      controllerOptimizer: search.controllerOptimizer.scalarState(),
      ...(nextWords ? { nextArchitectureWords: Array.from(nextWords) } : {}),
      ...(extra ? { extra } : {}),
    },
  };
}

/** Writes a captured state back into a search built with the same configuration; returns where to continue. */
export function restoreSearch<A>(
  search: CnnSearch<A>,
  tensors: ReadonlyMap<string, ArrayBufferView>,
  meta: SearchCheckpointMeta,
): SearchProgress {
  if (meta.format !== 1) throw new Error(`checkpoint format ${meta.format} is not readable by this version (format 1)`);
  if (meta.space !== search.space.name) throw new Error(`the checkpoint is of a ${meta.space} search, not ${search.space.name}`);
  const { slices } = namedSlices(search);
  writeNamedSlices(search.engine.ctx, slices, tensors, 'checkpoint');
  search.childSteps = meta.childSteps;
  search.controllerUpdates = meta.controllerUpdates;
  search.train.restore(meta.batchers.train);
  search.valid.restore(meta.batchers.valid);
  search.engine.restoreRandomState(meta.random);
  search.childOptimizer.restoreScalarState(meta.childOptimizer);
  search.controllerOptimizer.restoreScalarState(meta.controllerOptimizer);
  search.restorePendingArchitecture(meta.nextArchitectureWords);
  return meta.progress;
}
