/**
 * The skeleton every elementwise kernel shares: one invocation per element of a flat range of `u.n` (folded into a
 * 2-D grid past 65535 workgroups), writing `out[i] = value`, or `out[i] += value` when the config says
 * `accumulate`. A kernel supplies only the WGSL expression of the value (and any helper functions), as a row of
 * tinygrad's or webgpu-torch's op tables does.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { type BindingDecls, defineKernel, type Kernel } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import type { UniformDecls } from '../../kernel/uniforms.js';

export const ELEMENTWISE_WG = 256;

export interface ElementwiseSpec<B extends BindingDecls, U extends UniformDecls, C> {
  readonly name: string;
  readonly bindings: B;
  /** Must declare `n: 'u32'`, the element count. */
  readonly uniforms: U;
  /** The binding written at index i. */
  readonly out: keyof B & string;
  /** WGSL expression of the value at index `i` (bindings and `u.*` in scope). */
  readonly value: (config: C) => string;
  /** WGSL functions the expression uses. */
  readonly helpers?: (config: C) => string;
}

export function defineElementwise<B extends BindingDecls, U extends UniformDecls & { n: 'u32' }, C extends { accumulate?: boolean }>(
  spec: ElementwiseSpec<B, U, C>,
): Kernel<B, U, C> {
  return defineKernel({
    name: spec.name,
    bindings: spec.bindings,
    uniforms: spec.uniforms,
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    wgsl: (c: C) => /* wgsl */ `
${FLAT_INDEX_WGSL}
${spec.helpers?.(c) ?? ''}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  let v = ${spec.value(c)};
  ${c.accumulate ? `${spec.out}[i] = ${spec.out}[i] + v;` : `${spec.out}[i] = v;`}
}`,
  });
}

/** Records an elementwise kernel over `uniforms.n` elements. */
export function dispatchElementwise<B extends BindingDecls, U extends UniformDecls, C>(
  rec: Recorder,
  kernel: Kernel<B, U, C>,
  config: C,
  bind: { readonly [K in keyof B]: BufferSlice },
  uniforms: { readonly [K in keyof U]: number } & { readonly n: number },
): void {
  kernel.dispatch(rec, { config, bind, uniforms, grid: grid1d(rec.ctx, uniforms.n, ELEMENTWISE_WG) });
}
