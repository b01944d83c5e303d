/**
 * The skeleton of the optimizer updates: elementwise over n parameters, with several operands read and written at
 * the same index (parameter, gradient, moments) and the small `hyper` buffer read at fixed slots. Like the
 * elementwise skeleton (ops/elementwise/elementwise-kernel.ts) each update compiles to two programs and the dispatch
 * picks one:
 *   scalar  one invocation per parameter, `array<f32>` bindings: any n.
 *   vec4    one invocation per four, `array<vec4<f32>>` per-element bindings: n a multiple of 4, operands 16-byte
 *           aligned. An update streams 3–5 arrays of the whole parameter set through memory every step (the
 *           biggest byte count of a child step on a GPU), so it takes the 16-byte accesses memory wants.
 * The body is written once over the element type T ('f32' or 'vec4<f32>'): per-step scalars (lr, the gradient
 * scale) multiply either, and fma arguments are splat with `T(x)`.
 */
import { FLAT_INDEX_WGSL } from '../../kernel/grid.js';
import { type BindingDecls, defineKernel } from '../../kernel/kernel.js';
import type { UniformDecls } from '../../kernel/uniforms.js';
import { ELEMENTWISE_WG, type ScalarAndVec4, widenBindings } from '../elementwise/elementwise-kernel.js';

export type UpdateElementType = 'f32' | 'vec4<f32>';

export interface UpdateSpec<B extends BindingDecls, U extends UniformDecls, C> {
  readonly name: string;
  readonly bindings: B;
  /** Must declare `n: 'u32'`, the parameter count. */
  readonly uniforms: U;
  /** The bindings accessed at the element's index `i` (the ones vec4 widens); the others are read at fixed slots. */
  readonly perElement: readonly (keyof B & string)[];
  /** WGSL functions the body uses. */
  readonly helpers?: string;
  /** WGSL statements updating element `i` of the per-element bindings, over the element type T. */
  readonly body: (config: C, T: UpdateElementType) => string;
}

/** Dispatched with elementwise-kernel.ts's `dispatchElementwise`, which picks the program. */
export function defineUpdate<B extends BindingDecls, U extends UniformDecls & { n: 'u32' }, C>(
  spec: UpdateSpec<B, U, C>,
): ScalarAndVec4<B, U, C> {
  const program = (T: UpdateElementType, count: string) => (c: C) =>
    /* wgsl */ `
${FLAT_INDEX_WGSL}
${spec.helpers ?? ''}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= ${count}) { return; }
  ${spec.body(c, T)}
}`;
  const scalar = defineKernel({
    name: spec.name,
    bindings: spec.bindings,
    uniforms: spec.uniforms,
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    wgsl: program('f32', 'u.n'),
  });
  const vec4 = defineKernel({
    name: `${spec.name}_vec4`,
    bindings: widenBindings(spec.bindings, spec.perElement),
    uniforms: spec.uniforms,
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    wgsl: program('vec4<f32>', 'u.n / 4u'),
  });
  return { scalar, vec4, perElement: spec.perElement };
}
