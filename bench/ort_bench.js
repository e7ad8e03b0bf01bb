#!/usr/bin/env node
'use strict';
// Latency baseline: runs a model in ONNX Runtime (onnxruntime-node from scripts/ort, CPU,
// default graph optimizations) on seeded random inputs and prints one JSON line in the shape
// of `edge-run bench --format json`'s latency block, with peak_rss_mb and rss_before_load_mb.
//
//   node bench/ort_bench.js MODEL [--runs N] [--warmup N] [--threads N] [--shape NAME:1x3x8x8]
//
// Dynamic dims become 1 unless --shape fixes them (as in edge-run bench). Floats are uniform in
// [0, 1), integers 0, bools false: the same kind of inputs edge-run bench feeds.
const path = require('path');

function fail(msg) {
  process.stderr.write(`ort_bench: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { model: null, runs: 200, warmup: 20, threads: 1, shapes: {} };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    if (a === '--runs') o.runs = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--shape') {
      const s = next();
      const k = s.lastIndexOf(':');
      if (k <= 0) fail(`--shape wants NAME:DIMS, got '${s}'`);
      o.shapes[s.slice(0, k)] = s.slice(k + 1).split('x').map(Number);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else o.model = a;
  }
  if (!o.model) fail('usage: ort_bench.js MODEL [--runs N] [--warmup N] [--threads N] [--shape NAME:DIMS]');
  if (!(o.runs >= 1) || !(o.warmup >= 0) || !(o.threads >= 1)) fail('bad --runs/--warmup/--threads');
  return o;
}

// xorshift32: deterministic inputs without depending on Math.random.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

function percentile(sorted, p) {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require(path.join(__dirname, '..', 'scripts', 'ort', 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail(`cannot load onnxruntime-node (cd scripts/ort && npm ci --ignore-scripts): ${e.message}`);
  }
  // Memory as edge-run bench reports it: the process's resident set before the model is
  // loaded (runtime library already in) and its peak after the timed runs.
  const rssBeforeLoadMb = process.memoryUsage().rss / 1048576;
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'], intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rand = rng(42);
  const feeds = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor) fail(`input '${m.name}' is not a tensor`);
    const dims = o.shapes[m.name] || m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const Arr = ARRAYS[m.type];
    if (!Arr) fail(`input '${m.name}' has unsupported type ${m.type}`);
    const data = new Arr(n);
    if (m.type === 'float32' || m.type === 'float64') for (let i = 0; i < n; ++i) data[i] = rand();
    feeds[m.name] = new ort.Tensor(m.type, data, dims);
  }
  for (let i = 0; i < o.warmup; ++i) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < o.runs; ++i) {
    const s = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  console.log(JSON.stringify({
    model: o.model,
    runtime: `onnxruntime-node ${
        require(path.join(__dirname, '..', 'scripts', 'ort', 'node_modules', 'onnxruntime-node', 'package.json'))
            .version}`,
    threads: o.threads,
    warmup: o.warmup,
    runs: o.runs,
    load_ms: loadMs,
    latency_ms: {
      min: ms[0],
      median: percentile(ms, 0.5),
      p90: percentile(ms, 0.9),
      p99: percentile(ms, 0.99),
      max: ms[ms.length - 1],
      mean
    },
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    rss_before_load_mb: rssBeforeLoadMb,
  }));
}

main().catch((e) => fail(e.message.split('\n')[0]));
