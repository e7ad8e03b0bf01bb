#!/usr/bin/env node
'use strict';
// Small .npy helpers for crosscheck.sh (no numpy needed).
//
//   node npy_tool.js prep X.npy OUT.npy --count N [--scale S] [--channel-axis]
//       The first N samples of X as float32 (x * scale, in float32), with a size-1 channel axis
//       inserted after the batch axis when --channel-axis is given ([N,28,28] -> [N,1,28,28]).
//
//   node npy_tool.js compare REF GOT [--rtol R] [--atol A]
//       REF and GOT are .npy or .pb tensors. Passes when the shapes and types match and every
//       element has |got - ref| <= atol + rtol * max|ref| (the tolerance is relative to the
//       output's scale, not to each element). Prints one JSON line:
//       {ok, shape, max_abs, max_ref, bound, worst_index}. Exit 0 pass, 1 mismatch, 2 bad input.
//       float16 tensors are compared by value.

const io = require('./tensor_io');

function fail(msg, code) {
  process.stderr.write(`npy_tool: error: ${msg}\n`);
  process.exit(code);
}

function parseNumber(s) {
  const m = /^([^/]+)(?:\/(.+))?$/.exec(s);
  const v = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!Number.isFinite(v)) fail(`bad number '${s}'`, 2);
  return v;
}

function options(args, spec) {
  const o = { _: [] };
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    if (!a.startsWith('--')) { o._.push(a); continue; }
    const key = a.slice(2);
    if (!(key in spec)) fail(`unknown option '${a}'`, 2);
    if (spec[key] === 'flag') o[key] = true;
    else if (i + 1 < args.length) o[key] = args[++i];
    else fail(`${a} needs a value`, 2);
  }
  return o;
}

function read(file) {
  try {
    return io.readTensorFile(file);
  } catch (e) {
    fail(e.code === 'ENOENT' ? `${file}: no such file` : e.message, 2);
  }
}

function prep(args) {
  const o = options(args, { count: 'value', scale: 'value', 'channel-axis': 'flag' });
  if (o._.length !== 2) fail('usage: prep X.npy OUT.npy --count N [--scale S] [--channel-axis]', 2);
  const x = read(o._[0]);
  const count = o.count === undefined ? x.dims[0] : Number(o.count);
  if (!Number.isInteger(count) || count < 1 || count > x.dims[0]) fail(`--count must be 1..${x.dims[0]}`, 2);
  const scale = Math.fround(o.scale === undefined ? 1 : parseNumber(o.scale));
  const rest = x.dims.slice(1);
  const n = count * io.numel(rest);
  const data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = Math.fround(Number(x.data[i])) * scale;
  const dims = o['channel-axis'] ? [count, 1, ...rest] : [count, ...rest];
  io.writeNpy(o._[1], { type: 'float32', dims, data });
}

function compare(args) {
  const o = options(args, { rtol: 'value', atol: 'value' });
  if (o._.length !== 2) fail('usage: compare REF GOT [--rtol R] [--atol A]', 2);
  const rtol = o.rtol === undefined ? 1e-4 : parseNumber(o.rtol);
  const atol = o.atol === undefined ? 1e-4 : parseNumber(o.atol);
  const ref = read(o._[0]);
  const got = read(o._[1]);
  const shape = `[${ref.dims.join(',')}]`;
  if (ref.type !== got.type || ref.dims.join(',') !== got.dims.join(',')) {
    console.log(JSON.stringify({ ok: false, why: `${ref.type}${shape} vs ${got.type}[${got.dims.join(',')}]` }));
    process.exit(1);
  }
  // float16 data holds the IEEE half bits: compare the values they stand for.
  const value = (t, i) => (t.type === 'float16' ? io.halfToFloat(t.data[i]) : Number(t.data[i]));
  let maxRef = 0;
  for (let i = 0; i < ref.data.length; ++i) maxRef = Math.max(maxRef, Math.abs(value(ref, i)));
  const bound = atol + rtol * maxRef;
  let maxAbs = 0, worst = -1, ok = Number.isFinite(maxRef);
  for (let i = 0; i < ref.data.length; ++i) {
    const a = value(ref, i), b = value(got, i);
    const d = Math.abs(a - b);
    if (Number.isNaN(a) !== Number.isNaN(b) || (!Number.isNaN(a) && !(d <= bound))) ok = false;
    if (d > maxAbs || (Number.isNaN(d) && worst < 0)) { maxAbs = Number.isNaN(d) ? maxAbs : d; worst = i; }
  }
  console.log(JSON.stringify({ ok, shape, type: ref.type, max_abs: maxAbs, max_ref: maxRef, bound, worst_index: worst }));
  process.exit(ok ? 0 : 1);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'prep') prep(rest);
else if (cmd === 'compare') compare(rest);
else fail('usage: node npy_tool.js prep|compare ...', 2);
