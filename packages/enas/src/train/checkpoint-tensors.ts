/**
 * Checkpoint plumbing of a training run: SGD whose momentum can be named, and reading/writing sets of named GPU
 * tensors. This package never touches files (it runs in browsers too): `readNamedTensors` hands the values to the
 * caller (the CLI writes them as safetensors) and `writeNamedTensors` puts them back.
 *
 * (The RNN fixed training has the same helpers for Adam in rnn/optimizer-state.ts; when both are on main, one
 * copy of readNamedTensors/writeNamedTensors should serve both.)
 */
import { type Engine, type PersistentStore, SGD, Tensor } from '@enas-webgpu/autograd';
import { readSlice } from '@enas-webgpu/wgsl-kernels';

/** SGD exposing its momentum accumulators, laid out like the group's parameters. */
export class CheckpointableSGD extends SGD {
  /** `momentum/<param>` for every parameter of the group (none without momentum). */
  momentumTensors(): [string, Tensor][] {
    // Optimizer.mirrorStore registered SGD's only store, the momentum; it mirrors the parameter store chunk by
    // chunk, so a parameter's accumulator sits at the parameter's own offset in the same-numbered chunk.
    const store = this.state[0] as PersistentStore | undefined;
    if (!store) return [];
    const chunks = this.group.params.chunks;
    return this.group.tensors.map((p) => {
      const chunk = chunks.findIndex((c) => c.buffer === p.data.buffer);
      const buffer = store.chunks[chunk]?.buffer;
      if (!buffer) throw new Error(`CheckpointableSGD: no momentum chunk ${chunk} for '${p.name}' (parameters added after the optimizer?)`);
      const data = { buffer, offset: p.data.offset, size: p.size * 4 };
      return [
        `momentum/${p.name}`,
        new Tensor({ engine: p.engine, shape: p.shape, data, name: `momentum(${p.name})`, requiresGrad: false, step: -1 }),
      ];
    });
  }
}

export interface NamedValues {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Copies every tensor to the CPU (between steps): checkpoint values, ready for writeSafetensors. */
export async function readNamedTensors(engine: Engine, tensors: ReadonlyMap<string, Tensor>): Promise<Map<string, NamedValues>> {
  const out = new Map<string, NamedValues>();
  for (const [name, t] of tensors) {
    out.set(name, { shape: [...t.shape], data: new Float32Array(await readSlice(engine.ctx, { ...t.data, size: t.size * 4 })) });
  }
  return out;
}

/**
 * Writes saved values back into the tensors of the same names (between steps). Every tensor must be present with
 * its shape, and every saved name must belong to the model, so a checkpoint of another configuration is refused.
 */
export function writeNamedTensors(engine: Engine, tensors: ReadonlyMap<string, Tensor>, values: ReadonlyMap<string, NamedValues>): void {
  for (const name of values.keys()) {
    if (!tensors.has(name))
      throw new Error(`checkpoint: tensor '${name}' does not belong to this model; was it saved with another configuration?`);
  }
  for (const [name, t] of tensors) {
    const v = values.get(name);
    if (!v) throw new Error(`checkpoint: tensor '${name}' is missing; the checkpoint was saved with another configuration`);
    if (v.data.length !== t.size || v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`checkpoint: tensor '${name}' has shape [${v.shape.join(', ')}], this model needs [${t.shape.join(', ')}]`);
    }
  }
  for (const [name, t] of tensors) engine.ctx.writeBuffer(t.data.buffer, t.data.offset, (values.get(name) as NamedValues).data);
}
