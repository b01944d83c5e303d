/**
 * The skeleton every elementwise kernel shares: a flat range of `u.n` elements (folded into a 2-D grid past 65535
 * workgroups), writing `out[i] = value`, or `out[i] += value` when the config says `accumulate`. A kernel supplies
 * only the WGSL expression of one element's value (and any helper functions), as a row of tinygrad's or
 * webgpu-torch's op tables does.
 *
 * Each spec compiles to two programs, and the dispatch picks one:
 *   scalar  one invocation per element, `array<f32>` bindings: any n, any 4-byte aligned offset.
 *   vec4    one invocation per four elements, `array<vec4<f32>>` bindings: n a multiple of 4 and every per-element
 *           operand 16-byte aligned (the common case: tensor sizes in a network are multiples of 4, and arena
 *           offsets are aligned to minStorageBufferOffsetAlignment). A 16-byte load and store per invocation instead
 *           of four 4-byte ones is what memory-bound kernels need (tfjs-backend-webgpu does the same); the value
 *           expression is still evaluated per component, so every op and its f32 helpers serve both programs.
 */

import type { GpuContext } from '../../device/context.js';
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { type BindingDecl, type BindingDecls, defineKernel, type Kernel } from '../../kernel/kernel.js';
import type { EncodedDispatch, Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';
import type { UniformDecls } from '../../kernel/uniforms.js';

export const ELEMENTWISE_WG = 256;
const COMPONENTS = ['x', 'y', 'z', 'w'] as const;

export interface ElementwiseSpec<B extends BindingDecls, U extends UniformDecls, C> {
  readonly name: string;
  readonly bindings: B;
  /** Must declare `n: 'u32'`, the element count. */
  readonly uniforms: U;
  /** The binding written at index i. */
  readonly out: keyof B & string;
  /** The bindings read at index i (through `at`); other bindings are read whole (a scalar at [0]). */
  readonly inputs: readonly (keyof B & string)[];
  /**
   * WGSL expression (f32) of the value at one index. `at(name)` is the element of a per-element binding at that
   * index; other bindings (a scalar read at [0]) and `u.*` are in scope as usual.
   */
  readonly value: (config: C, at: (binding: keyof B & string) => string) => string;
  /** WGSL functions (on f32) the expression uses. */
  readonly helpers?: (config: C) => string;
}

/**
 * A kernel compiled as a scalar and a vec4 program over the same bindings (this skeleton, and the optimizer
 * updates' in ops/optim/update-kernel.ts); `prepareElementwise` picks between them per dispatch.
 */
export interface ScalarAndVec4<B extends BindingDecls, U extends UniformDecls, C> {
  readonly scalar: Kernel<B, U, C>;
  readonly vec4: Kernel<B, U, C>;
  /** Names of the bindings read or written at the element's index (the ones vec4 widens). */
  readonly perElement: readonly string[];
}

export interface ElementwiseKernel<B extends BindingDecls, U extends UniformDecls, C> extends ScalarAndVec4<B, U, C> {
  readonly name: string;
}

/** The bindings of a vec4 program: the per-element ones as `array<vec4<f32>>`, the others as declared. */
export function widenBindings<B extends BindingDecls>(bindings: B, perElement: readonly string[]): B {
  return Object.fromEntries(
    Object.entries(bindings).map(([name, b]) => [name, perElement.includes(name) ? { ...b, type: 'vec4<f32>' } : b]),
  ) as Record<string, BindingDecl> as B;
}

export function defineElementwise<B extends BindingDecls, U extends UniformDecls & { n: 'u32' }, C extends { accumulate?: boolean }>(
  spec: ElementwiseSpec<B, U, C>,
): ElementwiseKernel<B, U, C> {
  const perElement = [spec.out, ...spec.inputs.filter((name) => name !== spec.out)];
  const at = (index: (name: string) => string) => (name: string) => {
    if (!perElement.includes(name)) {
      throw new Error(`elementwise kernel '${spec.name}': the value reads '${name}' per element but 'inputs' does not list it`);
    }
    return index(name);
  };
  const store = (c: C, target: string, v: string) => (c.accumulate ? `${target} = ${target} + ${v};` : `${target} = ${v};`);

  const scalar = defineKernel({
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
  let v = ${spec.value(
    c,
    at((name) => `${name}[i]`),
  )};
  ${store(c, `${spec.out}[i]`, 'v')}
}`,
  });

  const vec4 = defineKernel({
    name: `${spec.name}_vec4`,
    bindings: widenBindings(spec.bindings, perElement),
    uniforms: spec.uniforms,
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    wgsl: (c: C) => {
      const lanes = COMPONENTS.map((k) =>
        spec.value(
          c,
          at((name) => `${name}_4.${k}`),
        ),
      );
      return /* wgsl */ `
${FLAT_INDEX_WGSL}
${spec.helpers?.(c) ?? ''}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n / 4u) { return; }
  ${[...new Set(spec.inputs)].map((name) => `let ${name}_4 = ${name}[i];`).join('\n  ')}
  let v = vec4<f32>(${lanes.join(', ')});
  ${store(c, `${spec.out}[i]`, 'v')}
}`;
    },
  });
  return { name: spec.name, scalar, vec4, perElement };
}

/** Whether a dispatch can take the vec4 program: whole vectors, and 16-byte aligned per-element operands. */
function fitsVec4(perElement: readonly string[], bind: Readonly<Record<string, BufferSlice>>, n: number): boolean {
  if (n % 4 !== 0 || n === 0) return false;
  return perElement.every((name) => {
    const s = bind[name];
    return s !== undefined && s.offset % 16 === 0 && s.size >= n * 4;
  });
}

/**
 * Resolves a dispatch over `uniforms.n` elements (pipeline, uniforms, bind group) for recording now or replaying
 * every step: the vec4 program where it fits, else the scalar one.
 */
export function prepareElementwise<B extends BindingDecls, U extends UniformDecls, C>(
  ctx: GpuContext,
  kernel: ScalarAndVec4<B, U, C>,
  config: C,
  bind: { readonly [K in keyof B]: BufferSlice },
  uniforms: { readonly [K in keyof U]: number } & { readonly n: number },
): EncodedDispatch {
  const n = uniforms.n;
  if (fitsVec4(kernel.perElement, bind, n)) {
    return kernel.vec4.prepare(ctx, { config, bind, uniforms, grid: grid1d(ctx, n / 4, ELEMENTWISE_WG) });
  }
  return kernel.scalar.prepare(ctx, { config, bind, uniforms, grid: grid1d(ctx, n, ELEMENTWISE_WG) });
}

/** Records a scalar-or-vec4 kernel over `uniforms.n` elements. */
export function dispatchElementwise<B extends BindingDecls, U extends UniformDecls, C>(
  rec: Recorder,
  kernel: ScalarAndVec4<B, U, C>,
  config: C,
  bind: { readonly [K in keyof B]: BufferSlice },
  uniforms: { readonly [K in keyof U]: number } & { readonly n: number },
): void {
  rec.dispatch(prepareElementwise(rec.ctx, kernel, config, bind, uniforms));
}
