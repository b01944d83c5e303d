/**
 * packIndexed: y[i] = x[index[i]] for 32-bit words, with a u32 index table. The general form of packStrided, for
 * values a sequence of dispatches left at irregular aligned places: the ENAS macro controller's decision log keeps
 * each layer's op decision and its row of skip decisions at their own aligned offsets (binding offsets must be
 * multiples of minStorageBufferOffsetAlignment), and one dispatch with a table made once packs them into the
 * official arc order for read-back. Words are copied as bits, so the data may be u32 or f32.
 *
 * An index past the end of x is a caller bug a GPU cannot report: that word is written as 0xffffffff, which is
 * NaN as f32 and an impossible decision as u32.
 */
import { FLAT_INDEX_WGSL, grid1d } from '../../kernel/grid.js';
import { defineKernel, read, readWrite } from '../../kernel/kernel.js';
import type { Recorder } from '../../kernel/recorder.js';
import type { BufferSlice } from '../../kernel/slice.js';

const WG = 64;

export const packIndexedKernel = defineKernel({
  name: 'pack_indexed',
  bindings: { x: read('u32'), index: read('u32'), y: readWrite('u32') },
  uniforms: { n: 'u32', xWords: 'u32' },
  workgroupSize: [WG, 1, 1],
  wgsl: () => /* wgsl */ `
${FLAT_INDEX_WGSL}
@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  let k = index[i];
  y[i] = select(0xffffffffu, x[min(k, u.xWords - 1u)], k < u.xWords);
}`,
});

/** y[i] = x[index[i]] for i < n (32-bit words, copied bit for bit). */
export function packIndexed(rec: Recorder, t: { x: BufferSlice; index: BufferSlice; y: BufferSlice }, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`packIndexed: n = ${n}; it must be a positive integer`);
  if (t.index.size < n * 4) throw new Error(`packIndexed: index holds ${Math.floor(t.index.size / 4)} words; needs ${n}`);
  if (t.y.size < n * 4) throw new Error(`packIndexed: y holds ${Math.floor(t.y.size / 4)} words; needs ${n}`);
  const xWords = Math.floor(t.x.size / 4);
  if (xWords < 1) throw new Error('packIndexed: x holds no words');
  packIndexedKernel.dispatch(rec, { bind: t, uniforms: { n, xWords }, grid: grid1d(rec.ctx, n, WG) });
}
