import { describe, expect, it } from 'vitest';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';

/** Builds a file by hand from a header string and data bytes: the writer under test is not involved. */
function handMade(header: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function littleEndian(values: number[], kind: 'f32' | 'i32' | 'u32'): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(4 * i, v, true);
    else if (kind === 'i32') view.setInt32(4 * i, v, true);
    else view.setUint32(4 * i, v, true);
  });
  return out;
}

const A = [1.5, -2.25, 3e-8, Number.NaN];
const B = [7, -2147483648];

describe('safetensors', () => {
  it('writes the header and data exactly as the format specifies', () => {
    const file = writeSafetensors(
      {
        b: { shape: [2], data: new Int32Array(B) },
        a: { shape: [2, 2], data: new Float32Array(A) },
        c: { shape: [], data: new Uint32Array([4294967295]) },
      },
      { format: 'enas-webgpu' },
    );
    const header =
      '{"__metadata__":{"format":"enas-webgpu"},' +
      '"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"b":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},' +
      '"c":{"dtype":"U32","shape":[],"data_offsets":[24,28]}}';
    const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
    expect(padded.length % 8).toBe(0);
    expect(new DataView(file.buffer).getBigUint64(0, true)).toBe(BigInt(padded.length));
    expect(new TextDecoder().decode(file.subarray(8, 8 + padded.length))).toBe(padded);
    const data = [...littleEndian(A, 'f32'), ...littleEndian(B, 'i32'), ...littleEndian([4294967295], 'u32')];
    expect([...file.subarray(8 + padded.length)]).toEqual(data);
  });

  it('round-trips F32, I32 and U32 tensors of any rank, including scalars and empty tensors', () => {
    const inputs = new Map([
      ['conv.w', { shape: [3, 2, 1, 1], data: Float32Array.from({ length: 6 }, (_, i) => Math.fround(i * 0.1 - 0.3)) }],
      ['scalar', { shape: [], data: new Float32Array([Math.PI]) }],
      ['empty', { shape: [0, 5], data: new Float32Array(0) }],
      ['step', { shape: [1], data: new Uint32Array([123456789]) }],
      ['ids', { shape: [2, 2], data: new Int32Array([-1, 0, 1, 2147483647]) }],
      ['nan', { shape: [4], data: new Float32Array(A) }],
    ]);
    const file = readSafetensors(writeSafetensors(inputs, { arc: '0 2 1 0', epoch: '3' }));
    expect(file.metadata).toEqual({ arc: '0 2 1 0', epoch: '3' });
    expect([...file.tensors.keys()].sort()).toEqual([...inputs.keys()].sort());
    for (const [name, t] of inputs) {
      const got = file.tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      // Bit-exact, NaN payloads included.
      expect(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(new Uint8Array(t.data.buffer));
    }
    expect(readSafetensors(writeSafetensors({})).tensors.size).toBe(0);
  });

  it('reads a file written by another producer: key order, spaces, no padding, unaligned data', () => {
    const header =
      '{ "x": {"data_offsets": [8, 16], "shape": [2], "dtype": "F32"}, "__metadata__": {"format": "pt"}, "y": {"dtype":"I32","shape":[1,2],"data_offsets":[0,8]} }';
    expect((8 + header.length) % 4).not.toBe(0);
    const file = readSafetensors(handMade(header, new Uint8Array([...littleEndian([5, -6], 'i32'), ...littleEndian([0.5, -0.75], 'f32')])));
    expect(file.metadata).toEqual({ format: 'pt' });
    expect([...file.tensors.get('x')!.data]).toEqual([0.5, -0.75]);
    expect(file.tensors.get('y')).toEqual({ dtype: 'I32', shape: [1, 2], data: new Int32Array([5, -6]) });
    // The same bytes inside a larger buffer at an odd offset.
    const bytes = handMade(header, new Uint8Array([...littleEndian([5, -6], 'i32'), ...littleEndian([0.5, -0.75], 'f32')]));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect([...readSafetensors(shifted.subarray(3)).tensors.get('x')!.data]).toEqual([0.5, -0.75]);
    const entries = readSafetensorsHeader(bytes).entries;
    expect(entries.find((e) => e.name === 'x')).toEqual({
      name: 'x',
      dtype: 'F32',
      shape: [2],
      byteOffset: 8 + header.length + 8,
      byteLength: 8,
    });
  });

  it('rejects truncated files with the sizes involved', () => {
    const file = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(file.subarray(0, 5), 'ckpt.safetensors')).toThrow(
      'readSafetensors: ckpt.safetensors: 5 bytes is shorter than the 8-byte header length; the file is truncated or empty',
    );
    expect(() => readSafetensors(file.subarray(0, 20))).toThrow(
      /header length \d+ needs \d+ bytes but the file has 20; the file is truncated/,
    );
    expect(() => readSafetensors(file.subarray(0, file.length - 1))).toThrow(
      `the tensors need 16 data bytes after the header but only 15 follow (file ${file.length - 1} bytes, expected ${file.length}); the file is truncated`,
    );
  });

  it('rejects corrupt headers', () => {
    const d8 = new Uint8Array(8);
    expect(() => readSafetensors(handMade('{}', d8, 1n << 60n))).toThrow('is over 100000000 bytes');
    expect(() => readSafetensors(handMade('[1, 2]', d8))).toThrow('must be a JSON object starting with "{"');
    expect(() => readSafetensors(handMade('{"a": ', d8))).toThrow('the header is not valid JSON');
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}}', d8))).toThrow(
      'tensor "a": dtype "F16" is not supported here; this reader handles F32, I32 and U32',
    );
    expect(() => readSafetensors(handMade('{"a": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 8]}}', d8))).toThrow(
      'dtype "Q4" is unknown',
    );
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}', d8))).toThrow('shape must be');
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}', d8))).toThrow(
      'data_offsets must be',
    );
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', d8))).toThrow(
      'tensor "a": data_offsets [0, 8] span 8 bytes but F32 [3] needs 12',
    );
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', d8))).toThrow(
      'tensor "a" starts at data byte 4, leaving a gap after byte 0',
    );
    const overlap =
      '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
    expect(() => readSafetensors(handMade(overlap, d8))).toThrow('overlaps the tensor before it');
    expect(() => readSafetensors(handMade('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', d8))).toThrow(
      '4 bytes follow the last tensor',
    );
    expect(() => readSafetensors(handMade('{"__metadata__": {"epoch": 3}}', new Uint8Array(0)))).toThrow(
      '"__metadata__" value "epoch" must be a string, got 3',
    );
    const badUtf8 = handMade('{"a"}', d8);
    badUtf8[10] = 0xff;
    expect(() => readSafetensors(badUtf8)).toThrow('not valid UTF-8');
  });

  it('rejects bad writer input', () => {
    expect(() => writeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } })).toThrow(
      'writeSafetensors: tensor "w": shape [2, 3] holds 6 elements but data has 5',
    );
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(
      'must be non-empty and not "__metadata__"',
    );
    expect(() => writeSafetensors({ w: { shape: [1], data: new Float64Array(1) as unknown as Float32Array } })).toThrow(
      'data must be a Float32Array, Int32Array or Uint32Array',
    );
    expect(() => writeSafetensors({}, { epoch: 3 as unknown as string })).toThrow('metadata "epoch" must be a string');
    expect(() => writeSafetensors({ w: { shape: [1.5], data: new Float32Array(1) } })).toThrow('must hold non-negative integers');
  });
});
