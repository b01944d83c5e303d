/** A search or training checkpoint on disk: one safetensors file whose metadata holds the JSON counters and states. */
import { existsSync, readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '@enas-webgpu/autograd';
import type { SearchCheckpointMeta } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import { writeFileAtomic } from './files.js';

const META_KEY = 'enas';

/** Tensors and a JSON record: CapturedState of a search, CapturedTraining of a training. */
export interface CheckpointState<M> {
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
  meta: M;
}

export function writeCheckpoint<M>(path: string, state: CheckpointState<M>): void {
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, t] of state.tensors) tensors[name] = t;
  writeFileAtomic(path, writeSafetensors(tensors, { [META_KEY]: JSON.stringify(state.meta) }));
}

export function readCheckpoint<M = SearchCheckpointMeta>(path: string): { tensors: Map<string, ArrayBufferView>; meta: M } {
  if (!existsSync(path)) throw new UsageError(`no checkpoint at ${path}: the run stopped before its first checkpoint; start it again`);
  const file = readSafetensors(new Uint8Array(readFileSync(path)), path);
  const metaText = file.metadata?.[META_KEY];
  if (!metaText) throw new UsageError(`${path} has no '${META_KEY}' metadata; it was not written by enas`);
  const tensors = new Map<string, ArrayBufferView>();
  for (const [name, t] of file.tensors) tensors.set(name, t.data as ArrayBufferView);
  return { tensors, meta: JSON.parse(metaText) as M };
}
