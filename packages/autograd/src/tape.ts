/**
 * The tape: each op that touches a tensor requiring a gradient records a node with its inputs, outputs and a
 * backward closure written next to its forward (micrograd). `backward(loss)` sorts the nodes reachable from the loss
 * topologically and runs their closures in reverse, recording the gradient kernels into the same step.
 *
 * Gradients accumulate in place: the first contribution to a tensor's gradient in a step overwrites the storage,
 * every later one adds to it (each backward kernel has an `accumulate` flag). So no zero-fill and no extra "add"
 * dispatch is ever needed, and a tensor's gradient always lives at the same place in its arena region.
 */
import { type BufferSlice, fill, scale } from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from './tensor.js';

/** Where a backward writes one input's gradient, and whether to add to what is there. */
export interface GradTarget {
  readonly slice: BufferSlice;
  readonly accumulate: boolean;
}

/** What a backward closure is given. */
export interface Grads {
  /** The gradient of one of the node's outputs (zeros if nothing downstream contributed). */
  of(output: Tensor): BufferSlice;
  /** Where to write an input's gradient, or undefined when that input needs none (skip its kernel). */
  into(input: Tensor): GradTarget | undefined;
}

export interface TapeNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly backward: (g: Grads) => void;
}

/** Storage for an owner tensor's gradient: fixed for persistent tensors, from its arena region for temporaries. */
function gradStorage(t: Tensor): BufferSlice {
  const o = t.owner;
  if (!o.gradData) {
    if (o.persistent) throw new Error(`persistent tensor '${o.name}' requires a gradient but has no gradient storage`);
    o.gradData = o.engine.allocTemporary(o.size * 4, `grad(${o.name})`, o.region);
  }
  return o.gradData;
}

export const grads: Grads = {
  of(output) {
    const o = output.owner;
    const step = o.engine.stepId;
    const slice = gradStorage(o);
    if (o.gradStep !== step && !o.group?.gradsLive) {
      // No consumer wrote it: the output did not influence the loss. Zeros keep the backward kernels uniform.
      fill(o.engine.rec, slice, o.size, 0);
      o.gradStep = step;
    }
    return slice;
  },
  into(input) {
    const o = input.owner;
    if (!input.requiresGrad || !o.requiresGrad) return undefined;
    const slice = gradStorage(o);
    const step = o.engine.stepId;
    // Group gradients that were zeroed (possibly in an earlier step) accumulate until the optimizer consumes them.
    const accumulate = o.gradStep === step || !!o.group?.gradsLive;
    o.gradStep = step;
    return { slice, accumulate };
  },
};

/** Nodes reachable from `root`, inputs before the nodes that consume them. */
export function topologicalOrder(root: Tensor): TapeNode[] {
  const order: TapeNode[] = [];
  const seen = new Set<TapeNode>();
  // Iterative DFS: deep unrolled RNNs would overflow the JS stack with recursion.
  const stack: { node: TapeNode; next: number }[] = [];
  if (root.node) stack.push({ node: root.node, next: 0 });
  if (root.node) seen.add(root.node);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: TapeNode; next: number };
    const input = top.node.inputs[top.next++];
    if (input === undefined) {
      order.push(top.node);
      stack.pop();
      continue;
    }
    const child = input.requiresGrad ? input.node : undefined;
    if (child && !seen.has(child)) {
      seen.add(child);
      stack.push({ node: child, next: 0 });
    }
  }
  return order;
}

/**
 * Backpropagates from `root`. Without `seed`, root must have one element and its gradient is 1 (a loss).
 * With `seed` (a slice of root.size floats), that is the gradient of root.
 */
export function backward(root: Tensor, seed?: BufferSlice): void {
  const engine = root.engine;
  if (!root.requiresGrad) throw new Error(`backward from '${root.name}', which does not require a gradient (no parameter leads to it)`);
  const rootGrad = grads.into(root) as GradTarget;
  if (seed) {
    // A dispatch rather than a copy: it stays in the step's compute pass, and the seed may share a buffer with it.
    scale(engine.rec, seed, rootGrad.slice, root.size, 1);
  } else {
    if (root.size !== 1)
      throw new Error(`backward from '${root.name}' of shape [${root.shape.join(', ')}] needs a seed gradient (only scalars default to 1)`);
    fill(engine.rec, rootGrad.slice, 1, 1);
  }
  const order = topologicalOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i] as TapeNode;
    if (node.outputs.some((o) => o.owner.gradStep === engine.stepId)) node.backward(grads);
  }
}
