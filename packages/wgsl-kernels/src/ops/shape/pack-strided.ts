/**
 * packStrided: y[i] = x[i · stride] for 32-bit words. Values that a sequence of small dispatches wrote one per
 * aligned slot (binding offsets must be multiples of minStorageBufferOffsetAlignment, 16 to 256 bytes) are packed
 * into a dense array, e.g. the controller's sampled decisions before they are read back, or their entropies before
 * they are summed. The words are copied as bits, so the data may be u32 or f32.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

const WG = 64;

export const packStridedKernel = defineKernel({
  name: 'pack_strided',
  bindings: { x: read('u32'), y: readWrite('u32') },
  uniforms: { n: 'u32', stride: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  y[i] = x[i * u.stride];
}`,
});

/** y[i] = x[i · stride] for i < n (32-bit words, copied bit for bit). */
export function packStrided(rec: Recorder, t: { x: BufferSlice; y: BufferSlice }, n: number, stride: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(stride) || stride < 1) {
    throw new Error(`packStrided: n = ${n}, stride = ${stride}; both must be positive integers`);
  }
  if (t.x.size < ((n - 1) * stride + 1) * 4) {
    throw new Error(`packStrided: x holds ${t.x.size / 4} words; ${n} values at stride ${stride} need ${(n - 1) * stride + 1}`);
  }
  if (t.y.size < n * 4) throw new Error(`packStrided: y holds ${t.y.size / 4} words; needs ${n}`);
  packStridedKernel.dispatch(rec, { bind: t, uniforms: { n, stride }, grid: grid1d(rec.ctx, n, WG) });
}
