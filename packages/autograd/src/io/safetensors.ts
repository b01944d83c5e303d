/**
 * The safetensors checkpoint format (Hugging Face), read and written from bytes so that it works the same in Node
 * and browsers (the caller does the file I/O).
 *
 *   [8 bytes]  N, unsigned 64-bit little-endian: the header length
 *   [N bytes]  UTF-8 JSON object: { name: { dtype, shape, data_offsets: [begin, end] }, ..., "__metadata__"?: {string: string} }
 *   [rest]     the tensors' raw little-endian bytes; offsets are relative to the start of this part
 *
 * The writer pads the header with spaces to a multiple of 8 bytes (as the reference implementation does) so the data
 * part starts 8-byte aligned, and lays tensors out by decreasing element size, then by name, so every tensor is
 * aligned to its element size. The reader checks everything the reference does: a header starting with `{`, known
 * dtypes, byte ranges that match dtype × shape, and ranges that tile the data part exactly (no gap, no overlap, no
 * trailing bytes).
 */

export type SafetensorsDtype = 'F32' | 'I32' | 'U32';
export type SafetensorsData = Float32Array | Int32Array | Uint32Array;

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: SafetensorsData;
}

/** What goes into a file: the dtype follows from the typed array. */
export interface SafetensorsInput {
  readonly shape: readonly number[];
  readonly data: SafetensorsData;
}

/** One header entry; `byteOffset` is absolute in the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute offset of the data part (8 + N). */
  readonly dataStart: number;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const ELEMENT_BYTES: Record<SafetensorsDtype, number> = { F32: 4, I32: 4, U32: 4 };
const KNOWN_OTHER_DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I64', 'U64', 'F64'];
/** The reference implementation refuses larger headers; a bigger N means a corrupt or foreign file. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

function dtypeOf(data: SafetensorsData): SafetensorsDtype | undefined {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  return undefined;
}

/** Typed arrays use the host's byte order; the format is little-endian. Every current browser and Node host is. */
function assertLittleEndianHost(fn: string): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error(`${fn}: this host is big-endian; safetensors data is little-endian and byte swapping is not implemented`);
  }
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Serialises named tensors (a Map or a plain object) and optional string metadata into a safetensors file. */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  assertLittleEndianHost('writeSafetensors');
  const named: [string, SafetensorsInput][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const items = named.map(([name, t]) => {
    const where = `writeSafetensors: tensor ${JSON.stringify(name)}`;
    if (name.length === 0 || name === METADATA_KEY) throw new Error(`${where}: the name must be non-empty and not "${METADATA_KEY}"`);
    const dtype = dtypeOf(t.data);
    if (!dtype) throw new Error(`${where}: data must be a Float32Array, Int32Array or Uint32Array`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${where}: shape [${t.shape.join(', ')}] must hold non-negative integers`);
    }
    if (elementCount(t.shape) !== t.data.length) {
      throw new Error(`${where}: shape [${t.shape.join(', ')}] holds ${elementCount(t.shape)} elements but data has ${t.data.length}`);
    }
    return { name, dtype, shape: [...t.shape], data: t.data };
  });
  items.sort((a, b) => ELEMENT_BYTES[b.dtype] - ELEMENT_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new Error(`writeSafetensors: metadata ${JSON.stringify(key)} must be a string, got ${typeof value}`);
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  for (const item of items) {
    header[item.name] = { dtype: item.dtype, shape: item.shape, data_offsets: [offset, offset + item.data.byteLength] };
    offset += item.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }

  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const item of items) {
    out.set(new Uint8Array(item.data.buffer, item.data.byteOffset, item.data.byteLength), at);
    at += item.data.byteLength;
  }
  return out;
}

/** Parses and checks the header without touching the data; `fileName` only labels errors. */
export function readSafetensorsHeader(bytes: Uint8Array, fileName = 'safetensors file'): SafetensorsHeader {
  const fail = (problem: string): never => {
    throw new Error(`readSafetensors: ${fileName}: ${problem}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is shorter than the 8-byte header length; the file is truncated or empty`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    fail(`header length ${n64} is over ${MAX_HEADER_BYTES} bytes; this is not a safetensors file or it is corrupt`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header length ${n} needs ${8 + n} bytes but the file has ${bytes.length}; the file is truncated`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    fail(`the header must be a JSON object starting with "{", it starts with ${JSON.stringify(text.slice(0, 16))}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('the header must be a JSON object');

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: (SafetensorsEntry & { begin: number; end: number })[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(raw, fail);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`${where}: the entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES)) {
      const known = typeof dtype === 'string' && KNOWN_OTHER_DTYPES.includes(dtype);
      return fail(
        `${where}: dtype ${JSON.stringify(dtype)} is ${known ? 'not supported here' : 'unknown'}; this reader handles F32, I32 and U32`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      return fail(`${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(shape) * ELEMENT_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      fail(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape, byteOffset: dataStart + begin, byteLength: expected, begin, end });
  }

  // The byte ranges must tile the data part exactly, as the reference implementation requires.
  const byRange = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const needed = byRange.reduce((m, e) => Math.max(m, e.end), 0);
  if (needed > dataLength) {
    fail(
      `the tensors need ${needed} data bytes after the header but only ${dataLength} follow (file ${bytes.length} bytes, expected ${dataStart + needed}); the file is truncated`,
    );
  }
  let covered = 0;
  for (const e of byRange) {
    if (e.begin > covered) fail(`tensor ${JSON.stringify(e.name)} starts at data byte ${e.begin}, leaving a gap after byte ${covered}`);
    if (e.begin < covered)
      fail(
        `tensor ${JSON.stringify(e.name)} at data bytes [${e.begin}, ${e.end}] overlaps the tensor before it (which ends at ${covered})`,
      );
    covered = e.end;
  }
  if (covered !== dataLength)
    fail(`${dataLength - covered} bytes follow the last tensor; the data part must end where the last tensor does`);

  return { entries: entries.map(({ begin: _b, end: _e, ...entry }) => entry), metadata, dataStart };
}

/** Reads every tensor (copied into fresh, aligned typed arrays) and the metadata. */
export function readSafetensors(bytes: Uint8Array, fileName?: string): SafetensorsFile {
  assertLittleEndianHost('readSafetensors');
  const header = readSafetensorsHeader(bytes, fileName);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) {
    // A copy: the source view may start at any byte, and typed arrays need element-aligned offsets.
    const buffer = bytes.slice(e.byteOffset, e.byteOffset + e.byteLength).buffer;
    const data = e.dtype === 'F32' ? new Float32Array(buffer) : e.dtype === 'I32' ? new Int32Array(buffer) : new Uint32Array(buffer);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

function readMetadata(raw: unknown, fail: (problem: string) => never): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`"${METADATA_KEY}" must be an object of strings`);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') fail(`"${METADATA_KEY}" value ${JSON.stringify(key)} must be a string, got ${JSON.stringify(value)}`);
  }
  return { ...(raw as Record<string, string>) };
}
