/**
 * Checkpoints of models that name their own state tensors (the recurrent-cell search and training): every tensor
 * is read back in one batch between steps and written with a JSON record of counters, atomically (temp file, then
 * rename), so a crash never leaves a half-written checkpoint behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Engine, readNamedSlices, readSafetensors, type Tensor, writeSafetensors } from '@enas-webgpu/autograd';
import type { NamedValues } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';
import { writeFileAtomic } from './files.js';

const META_KEY = 'enas';

export async function writeTensorCheckpoint(
  path: string,
  engine: Engine,
  tensors: ReadonlyMap<string, Tensor>,
  meta: object,
): Promise<void> {
  const values = await readNamedSlices(
    engine.ctx,
    [...tensors].map(([n, t]) => [n, { ...t.data, size: t.size * 4 }] as [string, typeof t.data]),
  );
  const out: Record<string, NamedValues> = {};
  for (const [n, t] of tensors) out[n] = { shape: t.shape, data: values.get(n) as Float32Array };
  writeFileAtomic(path, writeSafetensors(out, { [META_KEY]: JSON.stringify(meta) }));
}

/** The tensors and JSON record of a checkpoint; `what` names the run kind in errors ("an RNN search"). */
export function readTensorCheckpoint<M extends { space?: string }>(
  path: string,
  what: string,
  isMeta: (meta: M) => boolean,
): { values: Map<string, NamedValues>; meta: M } {
  if (!existsSync(path)) throw new UsageError(`no checkpoint at ${path}: the run stopped before its first checkpoint; start it again`);
  const file = readSafetensors(new Uint8Array(readFileSync(path)), path);
  const meta = JSON.parse(file.metadata?.[META_KEY] ?? '{}') as M;
  if (!isMeta(meta)) throw new UsageError(`${path} is not a checkpoint of ${what}`);
  const values = new Map([...file.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }]));
  return { values, meta };
}
