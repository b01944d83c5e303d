/**
 * BufferSlice: a byte range of a GPUBuffer, the unit every kernel binds. Tensors, arenas and the weight pool all
 * hand kernels slices, so a kernel never cares whether its operand owns a buffer or lives inside a larger one.
 */
export interface BufferSlice {
  readonly buffer: GPUBuffer;
  /** Byte offset; must be a multiple of the device's minStorageBufferOffsetAlignment to be bound. */
  readonly offset: number;
  /** Byte length. */
  readonly size: number;
}

export function wholeBuffer(buffer: GPUBuffer): BufferSlice {
  return { buffer, offset: 0, size: buffer.size };
}

export function sliceOf(buffer: GPUBuffer, offset: number, size: number): BufferSlice {
  if (offset < 0 || size < 0 || offset + size > buffer.size) {
    throw new Error(`slice [${offset}, ${offset + size}) is outside buffer '${buffer.label}' of ${buffer.size} bytes`);
  }
  return { buffer, offset, size };
}

/** A sub-range of a slice, in bytes relative to the slice. */
export function subSlice(slice: BufferSlice, offset: number, size: number): BufferSlice {
  if (offset < 0 || size < 0 || offset + size > slice.size) {
    throw new Error(`sub-slice [${offset}, ${offset + size}) is outside a slice of ${slice.size} bytes of '${slice.buffer.label}'`);
  }
  return { buffer: slice.buffer, offset: slice.offset + offset, size };
}

/** What the kernel layer needs to know of a GPUBuffer on every binding of every dispatch. */
export interface BufferFacts {
  /** A stable small integer, for cache keys. */
  readonly id: number;
  readonly size: number;
}

const facts = new WeakMap<GPUBuffer, BufferFacts>();
let nextId = 1;

/** A buffer's id and size, looked up once: in dawn.node `buffer.size` is a call into C++ every time it is read. */
export function bufferFacts(buffer: GPUBuffer): BufferFacts {
  let f = facts.get(buffer);
  if (f === undefined) {
    f = { id: nextId++, size: buffer.size };
    facts.set(buffer, f);
  }
  return f;
}

/** A stable small integer per GPUBuffer, for cache keys. */
export function bufferId(buffer: GPUBuffer): number {
  return bufferFacts(buffer).id;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
