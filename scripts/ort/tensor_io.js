'use strict';
// Tensor files for the ONNX Runtime cross-check: a small .npy reader/writer (format versions
// 1.0-3.0, C order, little-endian) and a reader for serialized ONNX TensorProto (.pb) files.
// A tensor here is { type, dims, data }: type is an onnxruntime-node type name ('float32',
// 'int64', ...), dims an array of numbers, data the matching typed array.

const fs = require('fs');

// numpy descr (without byte-order prefix) <-> tensor type, typed array, TensorProto data_type.
const TYPES = [
  { type: 'float32', descr: 'f4', array: Float32Array, onnx: 1 },
  { type: 'uint8', descr: 'u1', array: Uint8Array, onnx: 2 },
  { type: 'int8', descr: 'i1', array: Int8Array, onnx: 3 },
  { type: 'uint16', descr: 'u2', array: Uint16Array, onnx: 4 },
  { type: 'int16', descr: 'i2', array: Int16Array, onnx: 5 },
  { type: 'int32', descr: 'i4', array: Int32Array, onnx: 6 },
  { type: 'int64', descr: 'i8', array: BigInt64Array, onnx: 7 },
  { type: 'bool', descr: 'b1', array: Uint8Array, onnx: 9 },
  { type: 'float16', descr: 'f2', array: Uint16Array, onnx: 10 },  // IEEE half bits
  { type: 'float64', descr: 'f8', array: Float64Array, onnx: 11 },
  { type: 'uint32', descr: 'u4', array: Uint32Array, onnx: 12 },
  { type: 'uint64', descr: 'u8', array: BigUint64Array, onnx: 13 },
];

// IEEE half bits (a number 0..65535) -> the number they encode.
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function numel(dims) {
  return dims.reduce((a, b) => a * b, 1);
}

function typeInfo(type) {
  const t = TYPES.find((x) => x.type === type);
  if (!t) throw new Error(`unsupported tensor type '${type}'`);
  return t;
}

// Copies `count` elements of `array` type out of `buf` at `offset` (no alignment requirement).
function viewCopy(array, buf, offset, count, what) {
  const bytes = count * array.BYTES_PER_ELEMENT;
  if (offset + bytes > buf.length) throw new Error(`${what}: truncated (${buf.length - offset} of ${bytes} data bytes)`);
  const copy = new Uint8Array(bytes);
  copy.set(buf.subarray(offset, offset + bytes));
  return new array(copy.buffer);
}

function parseNpy(buf, what) {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${what}: not a .npy file`);
  const major = buf[6];
  let headerLen, start;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${what}: unsupported .npy version ${major}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${what}: bad .npy header: ${header.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${what}: Fortran-order arrays are not supported`);
  const order = descr[1][0];
  if (order === '>') throw new Error(`${what}: big-endian arrays are not supported`);
  const code = '<|='.includes(order) ? descr[1].slice(1) : descr[1];
  const t = TYPES.find((x) => x.descr === code);
  if (!t) throw new Error(`${what}: unsupported dtype '${descr[1]}'`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${what}: bad shape (${shape[1]})`);
  const data = viewCopy(t.array, buf, start + headerLen, numel(dims), what);
  return { type: t.type, dims, data };
}

function readNpy(path) {
  return parseNpy(fs.readFileSync(path), path);
}

function encodeNpy(tensor) {
  const t = typeInfo(tensor.type);
  const order = t.array.BYTES_PER_ELEMENT === 1 ? '|' : '<';
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${order}${t.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Version 1.0: magic(6) + version(2) + length(2) + header, padded with spaces so that the
  // data starts on a 64-byte boundary, ending in '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

// Writes atomically (temporary file + rename), so a failed run leaves no partial file.
function writeNpy(path, tensor) {
  const tmp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, encodeNpy(tensor));
  fs.renameSync(tmp, path);
}

// --- TensorProto (.pb) ----------------------------------------------------------------------
// Fields used: 1 dims (int64, packed or not), 2 data_type, 4 float_data, 5 int32_data,
// 7 int64_data, 8 name, 9 raw_data, 10 double_data, 11 uint64_data. Other fields are skipped.

function readVarint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function parseTensorProto(buf, what) {
  const pos = { i: 0 };
  const dims = [];
  let dataType = 0;
  let name = '';
  let raw = null;
  const floats = [];
  const ints = []; // int32_data / int64_data / uint64_data as BigInt
  const doubles = [];
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3;
    const wire = key & 7;
    const packedOrBytes = wire === 2 ? Number(readVarint(buf, pos)) : -1;
    const end = packedOrBytes >= 0 ? pos.i + packedOrBytes : -1;
    if (end > buf.length) throw new Error(`${what}: truncated field ${field}`);
    const varints = (out, signed) => {
      if (wire === 0) out.push(BigInt.asIntN(64, readVarint(buf, pos)));
      else if (wire === 2) while (pos.i < end) out.push(signed ? BigInt.asIntN(64, readVarint(buf, pos)) : readVarint(buf, pos));
      else throw new Error(`${what}: bad wire type ${wire} for field ${field}`);
    };
    if (field === 1) {
      const d = [];
      varints(d, true);
      for (const v of d) dims.push(Number(v));
    } else if (field === 2 && wire === 0) {
      dataType = Number(readVarint(buf, pos));
    } else if (field === 4) {
      if (wire === 5) {
        floats.push(buf.readFloatLE(pos.i));
        pos.i += 4;
      } else if (wire === 2) {
        for (; pos.i < end; pos.i += 4) floats.push(buf.readFloatLE(pos.i));
      } else throw new Error(`${what}: bad wire type for float_data`);
    } else if (field === 5 || field === 7) {
      varints(ints, true);
    } else if (field === 11) {
      varints(ints, false);
    } else if (field === 10) {
      if (wire === 1) {
        doubles.push(buf.readDoubleLE(pos.i));
        pos.i += 8;
      } else if (wire === 2) {
        for (; pos.i < end; pos.i += 8) doubles.push(buf.readDoubleLE(pos.i));
      } else throw new Error(`${what}: bad wire type for double_data`);
    } else if (field === 8 && wire === 2) {
      name = buf.toString('utf8', pos.i, end);
      pos.i = end;
    } else if (field === 9 && wire === 2) {
      raw = buf.subarray(pos.i, end);
      pos.i = end;
    } else if (wire === 0) {
      readVarint(buf, pos);
    } else if (wire === 1) {
      pos.i += 8;
    } else if (wire === 2) {
      pos.i = end;
    } else if (wire === 5) {
      pos.i += 4;
    } else {
      throw new Error(`${what}: unsupported wire type ${wire}`);
    }
    if (pos.i > buf.length) throw new Error(`${what}: truncated`);
  }
  const t = TYPES.find((x) => x.onnx === dataType);
  if (!t) throw new Error(`${what}: unsupported TensorProto data_type ${dataType}`);
  const n = numel(dims);
  let data;
  if (raw) {
    data = viewCopy(t.array, raw, 0, n, what);
  } else {
    data = new t.array(n);
    const src = t.type === 'float32' ? floats : t.type === 'float64' ? doubles : ints;
    if (src.length !== n) throw new Error(`${what}: ${src.length} values for shape [${dims}]`);
    const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
    for (let i = 0; i < n; ++i) data[i] = big ? BigInt(src[i]) : Number(src[i]);
  }
  return { type: t.type, dims, data, name };
}

function readTensorFile(path) {
  const buf = fs.readFileSync(path);
  if (buf.length >= 6 && buf.toString('latin1', 0, 6) === '\x93NUMPY') return parseNpy(buf, path);
  return parseTensorProto(buf, path);
}

module.exports = { TYPES, halfToFloat, numel, typeInfo, readNpy, writeNpy, encodeNpy, parseNpy, readTensorFile, parseTensorProto };
