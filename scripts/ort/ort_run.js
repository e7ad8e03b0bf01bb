#!/usr/bin/env node
'use strict';
// Runs an ONNX model with ONNX Runtime (onnxruntime-node, CPU, one thread, default graph
// optimizations) so that edge-run's results can be checked against it.
//
//   node ort_run.js MODEL --input NAME=FILE ... [--output-dir DIR]
//       FILE is .npy or a serialized TensorProto (.pb); a bare FILE binds to the next model
//       input in order (as in edge-run). Prints each output; with --output-dir writes
//       output_K.npy (K in the model's output order, as `edge-run run --output-format npy`).
//
//   node ort_run.js MODEL --eval-x X.npy --eval-y Y.npy [--scale S] [--mean M[,M..]]
//       [--std S[,S..]] [--layout nchw|nhwc] [--limit N] [--batch N] [--output NAME]
//       Top-1 accuracy on an image-classification .npy set, preprocessed like
//       `compressor eval`: y = (x * scale - mean[c]) / std[c] in float32, samples [N,H,W] or
//       [N,C,H,W] ([N,H,W,C] with --layout nhwc) fed to the model's input shape (size-1 dims
//       added as needed). A batch dim fixed to 1 gets one sample per run, a fixed K > 1 gets K
//       (the last run padded, padding not scored), a dynamic one --batch (default 1).
//       Prints one JSON line: {model, runtime, output, samples, batch, classes, correct, top1,
//       seconds}. --predictions P.npy also writes each sample's top-1 class (int64 [N]), e.g.
//       as labels for `compressor eval` to count where edge-run agrees with ONNX Runtime.
//
// Exit codes: 0 ok, 2 bad input or usage, 3 internal error.

const path = require('path');
const io = require('./tensor_io');

function usage(msg) {
  const e = new Error(msg);
  e.exitCode = 2;
  return e;
}

function parseArgs(argv) {
  const o = { model: null, inputs: [], outputDir: null, threads: 1, evalX: null, evalY: null, scale: 1, mean: [0],
    std: [1], layout: 'nchw', limit: 0, batch: 1, output: null, predictions: null };
  const value = (i, flag) => {
    if (i + 1 >= argv.length) throw usage(`${flag} needs a value`);
    return argv[i + 1];
  };
  const intArg = (s, flag, min) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw usage(`${flag}: expected an integer >= ${min}, got '${s}'`);
    return n;
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    switch (a) {
      case '--input': case '-i': o.inputs.push(value(i, a)); ++i; break;
      case '--output-dir': case '-o': o.outputDir = value(i, a); ++i; break;
      case '--threads': o.threads = intArg(value(i, a), a, 1); ++i; break;
      case '--eval-x': o.evalX = value(i, a); ++i; break;
      case '--eval-y': o.evalY = value(i, a); ++i; break;
      case '--scale': o.scale = parseNumber(value(i, a), a); ++i; break;
      case '--mean': o.mean = value(i, a).split(',').map((s) => parseNumber(s, a)); ++i; break;
      case '--std': o.std = value(i, a).split(',').map((s) => parseNumber(s, a)); ++i; break;
      case '--layout':
        o.layout = value(i, a);
        if (o.layout !== 'nchw' && o.layout !== 'nhwc') throw usage(`--layout: expected nchw or nhwc`);
        ++i;
        break;
      case '--limit': o.limit = intArg(value(i, a), a, 0); ++i; break;
      case '--batch': o.batch = intArg(value(i, a), a, 1); ++i; break;
      case '--output': o.output = value(i, a); ++i; break;
      case '--predictions': o.predictions = value(i, a); ++i; break;
      case '-h': case '--help':
        process.stdout.write(require('fs').readFileSync(__filename, 'utf8').split("\n").slice(2, 23)
          .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default:
        if (a.startsWith('-')) throw usage(`unknown option '${a}'`);
        if (o.model) throw usage(`unexpected argument '${a}'`);
        o.model = a;
    }
  }
  if (!o.model) throw usage('no model given (usage: node ort_run.js MODEL --input NAME=FILE ... | --eval-x X --eval-y Y)');
  if ((o.evalX === null) !== (o.evalY === null)) throw usage('--eval-x and --eval-y go together');
  if (o.evalX !== null && o.inputs.length) throw usage('--input and --eval-x cannot be combined');
  if (o.predictions !== null && o.evalX === null) throw usage('--predictions needs --eval-x');
  if (o.std.some((s) => s === 0)) throw usage('--std: zero');
  return o;
}

// "0.5", "1e-3", "1/255" (as compressor's --scale).
function parseNumber(s, flag) {
  const m = /^\s*([^/]+?)\s*(?:\/\s*(.+?)\s*)?$/.exec(s);
  const a = m ? Number(m[1]) : NaN;
  const b = m && m[2] !== undefined ? Number(m[2]) : 1;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) throw usage(`${flag}: bad number '${s}'`);
  return a / b;
}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw usage(`cannot load onnxruntime-node (run 'npm ci --ignore-scripts' in ${__dirname}): ${e.message}`);
  }
}

async function createSession(ort, model, threads) {
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // graphOptimizationLevel left at ONNX Runtime's default ('all').
    });
  } catch (e) {
    throw usage(`${model}: ONNX Runtime cannot load the model: ${e.message.split('\n')[0]}`);
  }
}

// A tensor from .npy or .pb; unreadable or malformed files are usage errors (exit 2).
function readTensor(file) {
  try {
    return io.readTensorFile(file);
  } catch (e) {
    if (e.code === 'ENOENT') throw usage(`${file}: no such file`);
    if (e.code === 'EISDIR') throw usage(`${file}: is a directory`);
    throw usage(e.message.startsWith(file) ? e.message : `${file}: ${e.message}`);
  }
}

function isFixed(d) {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0;
}

function describe(t) {
  let s = `${t.type}[${t.dims.join(',')}]`;
  const n = t.data.length;
  if (n > 0 && t.type !== 'bool') {
    let mn = Number(t.data[0]), mx = mn, sum = 0, arg = 0;
    for (let i = 0; i < n; ++i) {
      const v = Number(t.data[i]);
      if (v > mx) { mx = v; arg = i; }
      if (v < mn) mn = v;
      sum += v;
    }
    s += `  min ${mn.toPrecision(6)}  max ${mx.toPrecision(6)}  mean ${(sum / n).toPrecision(6)}  argmax ${arg}`;
  }
  return s;
}

async function runMode(o) {
  const fs = require('fs');
  const ort = loadOrt();
  const session = await createSession(ort, o.model, o.threads);
  const feeds = {};
  let next = 0;
  for (const spec of o.inputs) {
    let name, file;
    const eq = spec.indexOf('=');
    if (eq > 0 && session.inputNames.includes(spec.slice(0, eq))) {
      name = spec.slice(0, eq);
      file = spec.slice(eq + 1);
    } else {
      while (next < session.inputNames.length && session.inputNames[next] in feeds) ++next;
      if (next >= session.inputNames.length) throw usage(`${spec}: more inputs given than the model has`);
      name = session.inputNames[next];
      file = spec;
    }
    if (name in feeds) throw usage(`input '${name}' given twice`);
    const t = readTensor(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw usage(`no file for model input(s): ${missing.join(', ')}`);
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw usage(`${o.model}: ONNX Runtime run failed: ${e.message.split('\n')[0]}`);
  }
  console.log(`${o.model}: ${session.outputNames.length} output(s)`);
  if (o.outputDir) fs.mkdirSync(o.outputDir, { recursive: true });
  session.outputNames.forEach((name, k) => {
    const r = results[name];
    const t = { type: r.type, dims: Array.from(r.dims), data: r.data };
    console.log(`  ${name.padEnd(24)} ${describe(t)}`);
    if (o.outputDir) {
      const p = path.join(o.outputDir, `output_${k}.npy`);
      io.writeNpy(p, t);
      console.log(`wrote ${p}`);
    }
  });
}

// Converts sample `i` of X into `dst` (float32 or the input's integer type) at `offset`.
function makeSampleWriter(x, layout, scale, mean, std, channels) {
  const sampleDims = x.dims.slice(1);
  const per = io.numel(sampleDims);
  let perm = null; // for nhwc: position in the source for each NCHW destination element
  if (layout === 'nhwc' && sampleDims.length === 3) {
    const [h, w, c] = sampleDims;
    perm = new Int32Array(per);
    for (let ci = 0; ci < c; ++ci) for (let y = 0; y < h; ++y) for (let xx = 0; xx < w; ++xx) {
      perm[(ci * h + y) * w + xx] = (y * w + xx) * c + ci;
    }
  }
  const plane = per / channels;
  const fscale = Math.fround(scale);
  const fmean = mean.map(Math.fround);
  const fstd = std.map(Math.fround);
  return (i, dst, offset, isFloat) => {
    const base = i * per;
    for (let j = 0; j < per; ++j) {
      const v = Number(x.data[base + (perm ? perm[j] : j)]);
      if (!isFloat) {
        dst[offset + j] = typeof dst[0] === 'bigint' ? BigInt(v) : v;
        continue;
      }
      const c = Math.floor(j / plane);
      const m = fmean.length === 1 ? fmean[0] : fmean[c];
      const s = fstd.length === 1 ? fstd[0] : fstd[c];
      // float32 arithmetic step by step, as compressor's preprocessing does.
      dst[offset + j] = Math.fround(Math.fround(Math.fround(v) * fscale) - m) / s;
    }
  };
}

function squeeze(dims) {
  return dims.filter((d) => d !== 1);
}

async function evalMode(o) {
  const ort = loadOrt();
  const session = await createSession(ort, o.model, o.threads);
  const x = readTensor(o.evalX);
  const y = readTensor(o.evalY);
  if (x.dims.length < 2) throw usage(`${o.evalX}: expected samples [N, ...], got shape [${x.dims}]`);
  const total = x.dims[0];
  if (y.dims[0] !== total) {
    throw usage(`${o.evalY}: ${y.dims[0]} labels for ${total} samples in ${o.evalX}`);
  }
  const classesOfLabel = y.dims.length === 2 ? y.dims[1] : 1;
  if (y.dims.length > 2) throw usage(`${o.evalY}: labels must be [N], [N,1] or [N,C]`);
  const label = (i) => {
    if (classesOfLabel === 1) return Number(y.data[i]);
    let best = 0;
    for (let c = 1; c < classesOfLabel; ++c) if (Number(y.data[i * classesOfLabel + c]) > Number(y.data[i * classesOfLabel + best])) best = c;
    return best;
  };

  if (session.inputNames.length !== 1) throw usage(`${o.model}: eval mode needs a model with one input`);
  const meta = session.inputMetadata[0];
  const inDims = meta.shape;
  if (!inDims || inDims.length < 1) throw usage(`${o.model}: input '${meta.name}' has no batch dim`);
  // Sample shape as NCHW.
  let sample = x.dims.slice(1);
  if (o.layout === 'nhwc' && sample.length === 3) sample = [sample[2], sample[0], sample[1]];
  const rest = inDims.slice(1);
  let fedRest;
  if (rest.every(isFixed)) {
    const a = squeeze(rest), b = squeeze(sample);
    if (a.length !== b.length || a.some((d, k) => d !== b[k])) {
      throw usage(`${o.evalX}: samples of shape [${x.dims.slice(1)}] do not fit input '${meta.name}' [${inDims}]`);
    }
    fedRest = rest;
  } else if (rest.length === sample.length) {
    fedRest = rest.map((d, k) => (isFixed(d) ? d : sample[k]));
    if (fedRest.some((d, k) => d !== sample[k])) {
      throw usage(`${o.evalX}: samples of shape [${x.dims.slice(1)}] do not fit input '${meta.name}' [${inDims}]`);
    }
  } else {
    throw usage(`${o.model}: input '${meta.name}' [${inDims}] has dynamic non-batch dims of another rank than the samples`);
  }
  const isFloat = meta.type === 'float32';
  if (!isFloat && (o.scale !== 1 || o.mean.some((m) => m !== 0) || o.std.some((s) => s !== 1))) {
    throw usage(`--scale/--mean/--std apply to float inputs; model input '${meta.name}' is ${meta.type}`);
  }
  const channels = sample.length >= 3 ? sample[0] : 1;
  for (const [flag, v] of [['--mean', o.mean], ['--std', o.std]]) {
    if (v.length !== 1 && v.length !== channels) throw usage(`${flag}: ${v.length} values for ${channels} channel(s)`);
  }
  const batch = isFixed(inDims[0]) ? inDims[0] : o.batch;
  if (batch < 1) throw usage(`${o.model}: input '${meta.name}' has a batch dim of 0`);
  const n = o.limit > 0 ? Math.min(o.limit, total) : total;
  if (n === 0) throw usage(`${o.evalX}: no samples to evaluate`);
  const writeSample = makeSampleWriter(x, o.layout, o.scale, o.mean, o.std, channels);
  const per = io.numel(fedRest);
  const arrayType = io.typeInfo(meta.type).array;
  const outName = o.output || session.outputNames[0];
  if (!session.outputNames.includes(outName)) throw usage(`${o.model}: no output '${outName}'`);

  let correct = 0, classes = 0, seconds = 0;
  const predicted = new BigInt64Array(n);
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const rows = isFixed(inDims[0]) ? batch : count; // a fixed batch is padded (with zeros)
    const data = new arrayType(rows * per);
    for (let k = 0; k < count; ++k) writeSample(start + k, data, k * per, isFloat);
    const feed = { [meta.name]: new ort.Tensor(meta.type, data, [rows, ...fedRest]) };
    const t0 = process.hrtime.bigint();
    let out;
    try {
      out = (await session.run(feed, [outName]))[outName];
    } catch (e) {
      throw usage(`${o.model}: ONNX Runtime run failed: ${e.message.split('\n')[0]}`);
    }
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    if (out.data.length % rows !== 0) throw usage(`${o.model}: output '${outName}' [${out.dims}] does not split into ${rows} samples`);
    const c = out.data.length / rows;
    classes = c;
    for (let k = 0; k < count; ++k) {
      let best = 0; // first maximum, as compressor eval
      for (let j = 1; j < c; ++j) if (out.data[k * c + j] > out.data[k * c + best]) best = j;
      const want = label(start + k);
      if (want < 0 || want >= c) throw usage(`${o.evalY}: label ${want} of sample ${start + k} is outside the model's ${c} classes`);
      correct += best === want ? 1 : 0;
      predicted[start + k] = BigInt(best);
    }
  }
  if (o.predictions) io.writeNpy(o.predictions, { type: 'int64', dims: [n], data: predicted });
  console.log(JSON.stringify({ model: o.model, runtime: `onnxruntime-node ${ort.env.versions.node}`, output: outName,
    samples: n, batch, classes, correct, top1: correct / n, seconds: Number(seconds.toFixed(4)) }));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.evalX !== null) await evalMode(o);
  else await runMode(o);
}

main().catch((e) => {
  process.stderr.write(`ort_run: error: ${e.message}\n`);
  process.exit(e.exitCode || 3);
});
