/**
 * How an op joins the tape. Every op in ./ops follows the same three lines:
 *
 *   const y = engine.empty(shape, 'relu');            // output in the current arena region
 *   unary(engine.rec, 'relu', x.data, y.data, n);      // forward kernel
 *   return record('relu', [x], [y], (g) => { ... });   // backward closure, next to the forward
 */
import type { Engine } from '../engine.js';
import type { Grads, TapeNode } from '../tape.js';
import type { Tensor } from '../tensor.js';

/** Marks outputs as requiring a gradient and attaches the node, when some input requires one and grad is on. */
export function record<T extends Tensor | Tensor[]>(name: string, inputs: readonly Tensor[], outputs: T, backward: (g: Grads) => void): T {
  const outs: Tensor[] = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const engine = (outs[0] as Tensor).engine;
  if (engine.gradEnabled && inputs.some((t) => t.requiresGrad)) {
    const node: TapeNode = { name, inputs, outputs: outs, backward };
    for (const o of outs) {
      o.requiresGrad = true;
      o.node = node;
    }
  }
  return outputs;
}

/** The engine all inputs share (ops never mix devices). */
export function engineOf(...tensors: Tensor[]): Engine {
  const e = (tensors[0] as Tensor).engine;
  for (const t of tensors)
    if (t.engine !== e) throw new Error(`tensors '${(tensors[0] as Tensor).name}' and '${t.name}' belong to different engines`);
  return e;
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: shapes [${a.shape.join(', ')}] ('${a.name}') and [${b.shape.join(', ')}] ('${b.name}') differ`);
  }
}
