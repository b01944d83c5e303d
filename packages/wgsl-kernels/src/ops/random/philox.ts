/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator of cuRAND, JAX and PyTorch's CUDA dropout: a keyed bijection of a 128-bit counter, so
 * any word of any stream is computed directly from (key, counter) with no sequential state. That is what lets
 * every GPU thread draw its own numbers, a backward pass regenerate a forward pass's mask instead of storing it,
 * and the CPU twin below reproduce the GPU's stream bit for bit.
 *
 * The WGSL and the TypeScript are written side by side so they can be read against each other; both are checked
 * against the known-answer vectors of Random123 (`kat_vectors`, lines `philox4x32 10 ...`) in philox.test.ts.
 */

/** Round multipliers and Weyl key increments (Random123 `philox.h`). */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
export const PHILOX_ROUNDS = 10;

/**
 * WGSL: `philox4x32_10(counter, key) -> vec4u`. WGSL has no 32×32→64 multiply, so `mulhilo32` builds the high
 * word from 16-bit halves (every partial product fits in 32 bits; `mid` collects the carries into bit 32).
 */
export const PHILOX_WGSL = /* wgsl */ `
// (high, low) words of the 64-bit product a * b.
fn mulhilo32(a: u32, b: u32) -> vec2u {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

fn philox4x32_10(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var round = 0u; round < ${PHILOX_ROUNDS}u; round = round + 1u) {
    if (round > 0u) { k = k + vec2u(${PHILOX_W0}u, ${PHILOX_W1}u); }
    let p0 = mulhilo32(${PHILOX_M0}u, c.x);
    let p1 = mulhilo32(${PHILOX_M1}u, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}
`;

/** [high, low] words of the 64-bit product of two u32 (the TypeScript twin of the WGSL `mulhilo32`). */
export function mulhilo32(a: number, b: number): [number, number] {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

/** Philox4x32-10 of a counter (4 words) under a key (2 words): 4 uniformly distributed u32 words. */
export function philox4x32_10(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  let c0 = (counter[0] as number) >>> 0;
  let c1 = (counter[1] as number) >>> 0;
  let c2 = (counter[2] as number) >>> 0;
  let c3 = (counter[3] as number) >>> 0;
  let k0 = (key[0] as number) >>> 0;
  let k1 = (key[1] as number) >>> 0;
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const [hi0, lo0] = mulhilo32(PHILOX_M0, c0);
    const [hi1, lo1] = mulhilo32(PHILOX_M1, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}
