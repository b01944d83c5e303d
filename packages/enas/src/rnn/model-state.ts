/**
 * Where model state lives and how it is saved: fresh parameter groups, Adam whose moments can be named, and
 * reading/writing sets of named GPU tensors.
 *
 * A checkpoint is a map name → tensor plus plain counters; this package never touches files (it must run in a
 * browser), so `readNamedTensors` hands the values to the caller (the CLI writes them as safetensors) and
 * `writeNamedTensors` puts them back.
 */
import { Adam, type Engine, type ParameterGroup, type PersistentStore, Tensor } from '@enas-webgpu/autograd';
import { readSlice } from '@enas-webgpu/wgsl-kernels';

/**
 * The parameter group `name`, which must not hold parameters yet: two models sharing a group would share its
 * optimizer's clipping norm and update. Pick another name for a second model in the same engine.
 */
export function freshParameterGroup(engine: Engine, name: string): ParameterGroup {
  const group = engine.group(name);
  if (group.tensors.length > 0) {
    throw new Error(
      `parameter group '${name}' already holds ${group.tensors.length} parameters of another model; give this one another name`,
    );
  }
  return group;
}

/** Adam exposing its first and second moment estimates, laid out like the group's parameters. */
export class InspectableAdam extends Adam {
  /** `adam.m.<param>` and `adam.v.<param>` for every parameter of the group, as persistent tensors. */
  momentTensors(): Map<string, Tensor> {
    // Optimizer.mirrorStore registered Adam's stores in order: m, then v; each mirrors the group's parameter store
    // chunk by chunk, so a parameter's moment sits at its own offset in the same-numbered chunk.
    const [m, v] = this.state as [PersistentStore, PersistentStore];
    const chunks = this.group.params.chunks;
    const out = new Map<string, Tensor>();
    for (const [label, store] of [
      ['m', m],
      ['v', v],
    ] as const) {
      for (const p of this.group.tensors) {
        const chunk = chunks.findIndex((c) => c.buffer === p.data.buffer);
        const buffer = store.chunks[chunk]?.buffer;
        if (!buffer) throw new Error(`InspectableAdam: no ${label} chunk ${chunk} for '${p.name}' (parameters added after the optimizer?)`);
        const data = { buffer, offset: p.data.offset, size: p.size * 4 };
        out.set(
          `adam.${label}.${p.name}`,
          new Tensor({ engine: p.engine, shape: p.shape, data, name: `adam.${label}(${p.name})`, requiresGrad: false, step: -1 }),
        );
      }
    }
    return out;
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
 * its shape; names the map does not know are an error, so a checkpoint of another configuration is refused.
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
    engine.ctx.writeBuffer(t.data.buffer, t.data.offset, v.data);
  }
}
