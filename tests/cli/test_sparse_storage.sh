#!/usr/bin/env bash
# Storage that shrinks (docs/storage.md): mlp-300-100 with 90 % of each weight matrix zeroed
# (by magnitude, with /usr/bin/python3 + onnx + numpy) goes through a cleanup-only pipeline.
# The output stores the weights as sparse_initializers (<= 0.33x of the dense file), passes
# the ONNX checker, and ONNX Runtime 1.30 loads it and agrees with edge-run; --dense-weights
# writes them dense. `-o x.onnx.zst` writes the zstd container (<= 0.15x), which edge-run
# run/bench and compressor inspect/eval/compress load directly and which `zstd -d` turns into a
# model ONNX Runtime runs. Corrupt containers, decompression bombs and hostile sparse tensors
# fail with one line, exit 2, and no output.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
PY=${EDGE_FIXTURE_PYTHON:-/usr/bin/python3}
cd "$WORK"

if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
  echo "EDGE-SKIP: $PY cannot import onnx and numpy (apt install python3-onnx python3-numpy): nothing checked"
  exit 77
fi
command -v zstd >/dev/null || { echo "EDGE-SKIP: the zstd command is not installed (apt install zstd)"; exit 77; }
require_ort

# 90 % of every 2-D weight zeroed by magnitude; an input sample; a hostile sparse model.
"$PY" - "$S/fixtures/models/mlp-300-100.onnx" <<'PY' || { bad "fixture script failed"; finish; exit; }
import sys, onnx, numpy as np
from onnx import numpy_helper, helper, TensorProto
m = onnx.load(sys.argv[1])
for i, init in enumerate(m.graph.initializer):
    a = numpy_helper.to_array(init).copy()
    if a.ndim == 2:
        a[np.abs(a) < np.quantile(np.abs(a), 0.9)] = 0
        m.graph.initializer[i].CopyFrom(numpy_helper.from_array(a, init.name))
onnx.save(m, "dense90.onnx")
np.save("x.npy", np.random.default_rng(1).random((1, 1, 28, 28)).astype(np.float32))
# fc3.weight as a sparse initializer whose second index is outside [0, 1000).
h = onnx.load("dense90.onnx")
w = [t for t in h.graph.initializer if t.name == "fc3.weight"][0]
h.graph.initializer.remove(w)
vals = numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "fc3.weight")
idx = numpy_helper.from_array(np.array([3, 1000], np.int64), "")
h.graph.sparse_initializer.append(helper.make_sparse_tensor(vals, idx, [10, 100]))
onnx.save(h, "hostile.onnx")
# 4 bytes of values that claim a 2 GiB dense tensor (below the 16 GiB tensor cap).
b = onnx.load("dense90.onnx")
vals = numpy_helper.from_array(np.array([1.0], np.float32), "huge")
b.graph.sparse_initializer.append(helper.make_sparse_tensor(vals, numpy_helper.from_array(np.array([7], np.int64), ""), [1 << 29]))
onnx.save(b, "sparse_bomb.onnx")
# Older exporters: every initializer also a graph input (IR 4).
k = onnx.load("dense90.onnx")
k.ir_version = 4
for t in k.graph.initializer:
    k.graph.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
onnx.save(k, "inputs90.onnx")
PY
size() { stat -c %s "$1"; }
DENSE=$(size dense90.onnx)

# 1. Sparse initializers by default, from a cleanup-only pipeline.
"$COMPRESSOR" compress dense90.onnx -o s.onnx --passes eliminate-dead --report s.json >s.out 2>s.err &&
  ok "compress writes s.onnx" || bad "compress: $(tail -1 s.err)"
"$PY" - "$DENSE" <<'PY' && ok "3 sparse initializers, checker passes, $(size s.onnx) bytes <= 0.33x of $DENSE; report matches the file" || bad "sparse output: see above"
import sys, os, json, onnx
m = onnx.load("s.onnx")
onnx.checker.check_model(m)
names = sorted(s.values.name for s in m.graph.sparse_initializer)
assert names == ["fc1.weight", "fc2.weight", "fc3.weight"], names
assert all(s.indices.data_type == onnx.TensorProto.INT64 for s in m.graph.sparse_initializer)
assert m.ir_version >= 6, m.ir_version
size, dense = os.path.getsize("s.onnx"), int(sys.argv[1])
assert size <= 0.33 * dense, (size, dense)
r = json.load(open("s.json"))
assert r["result"]["bytes"] == size, (r["result"]["bytes"], size)
assert r["result"]["sparse_initializers"] == 3, r["result"]
assert abs(r["result"]["dense_bytes"] - dense) < 512, (r["result"]["dense_bytes"], dense)
assert r["original"]["bytes"] == r["original"]["dense_bytes"]
assert r["result"]["file_bytes"] is None
assert any("stored as sparse_initializer" in n for n in r["notes"]), r["notes"]
PY
grep -q "(3 sparse initializers)" s.out && ok "summary line counts the sparse initializers" || bad "summary: $(cat s.out)"

"$EDGE_RUN" run s.onnx --input x.npy -o er --output-format npy >/dev/null 2>er.err || bad "edge-run run s.onnx: $(tail -1 er.err)"
"$EDGE_RUN" run dense90.onnx --input x.npy -o ed --output-format npy >/dev/null 2>>er.err || bad "edge-run run dense90.onnx"
node "$ORT_RUN" s.onnx --input x.npy -o ort >ort.log 2>&1 || bad "ORT cannot run s.onnx: $(tail -1 ort.log)"
node "$NPY_TOOL" compare ed/output_0.npy er/output_0.npy --rtol 0 --atol 0 >/dev/null &&
  ok "edge-run: sparse-stored model gives the dense model's outputs bit for bit" || bad "edge-run outputs differ"
node "$NPY_TOOL" compare ort/output_0.npy er/output_0.npy --rtol 1e-5 --atol 1e-6 >/dev/null &&
  ok "ONNX Runtime loads the sparse initializers and agrees with edge-run" || bad "ORT output differs from edge-run"

# Weights that are also graph inputs stay inputs (overridable defaults); IR 4 is raised to 6.
"$COMPRESSOR" compress inputs90.onnx -o si.onnx --passes eliminate-dead -q 2>si.err || bad "compress inputs90.onnx: $(tail -1 si.err)"
"$PY" -c '
import onnx
m = onnx.load("si.onnx"); onnx.checker.check_model(m)
assert m.ir_version == 6, m.ir_version
assert len(m.graph.sparse_initializer) == 3 and len(m.graph.input) == 7' || bad "si.onnx: not 3 sparse initializers that stay inputs at IR 6"
node "$ORT_RUN" si.onnx --input input=x.npy -o orti >orti.log 2>&1 || bad "ORT cannot run si.onnx: $(tail -1 orti.log)"
node "$NPY_TOOL" compare orti/output_0.npy er/output_0.npy --rtol 1e-5 --atol 1e-6 >/dev/null &&
  ok "ONNX Runtime runs sparse initializers that are also graph inputs (IR 6)" || bad "ORT si.onnx differs"

"$COMPRESSOR" compress dense90.onnx -o d.onnx --passes eliminate-dead --dense-weights -q 2>d.err || bad "--dense-weights: $(tail -1 d.err)"
"$PY" -c 'import onnx; m = onnx.load("d.onnx"); assert len(m.graph.sparse_initializer) == 0' &&
  [ "$(size d.onnx)" -ge $((DENSE - 512)) ] && ok "--dense-weights writes every initializer dense" || bad "--dense-weights output"

# A sparse input loads dense: compressing it again gives the same file.
"$COMPRESSOR" compress s.onnx -o s2.onnx --passes eliminate-dead -q 2>s2.err || bad "compress s.onnx: $(tail -1 s2.err)"
"$PY" -c '
import onnx
a, b = onnx.load("s.onnx"), onnx.load("s2.onnx")
key = lambda m: sorted((s.values.name, s.values.raw_data, s.indices.raw_data) for s in m.graph.sparse_initializer)
assert key(a) == key(b)' && ok "a sparse model compresses to the same sparse tensors" || bad "sparse -> sparse differs"

# 2. The .onnx.zst container.
"$COMPRESSOR" compress dense90.onnx -o z.onnx.zst --passes eliminate-dead --report z.json --max-size 200KB >z.out 2>z.err &&
  ok "compress -o z.onnx.zst" || bad "compress .zst: $(tail -1 z.err) $(tail -2 z.out)"
[ "$(head -c 4 z.onnx.zst | od -An -tx1 | tr -d ' ')" = "28b52ffd" ] && ok "z.onnx.zst is a zstd frame" || bad "no zstd magic"
ZS=$(size z.onnx.zst)
"$PY" - "$DENSE" "$ZS" <<'PY' && ok ".onnx.zst is $ZS bytes <= 0.15x of $DENSE; report has both sizes" || bad ".zst sizes"
import sys, json
dense, zs = int(sys.argv[1]), int(sys.argv[2])
assert zs <= 0.15 * dense, (zs, dense)
r = json.load(open("z.json"))
assert r["result"]["file_bytes"] == zs, r["result"]
assert r["result"]["bytes"] > zs
g = r["gates"][0]
assert g["name"] == "max-size" and g["value"] == zs, g
PY
grep -q "; .onnx.zst file " z.out && ok "summary line gives the .onnx.zst size" || bad "summary: $(cat z.out)"
zstd -q -d z.onnx.zst -o unz.onnx && cmp -s unz.onnx s.onnx && ok "zstd -d gives the sparse .onnx" || bad "zstd -d differs from s.onnx"
node "$ORT_RUN" unz.onnx --input x.npy -o ortz >ortz.log 2>&1 || bad "ORT cannot run the decompressed model: $(tail -1 ortz.log)"
"$EDGE_RUN" run z.onnx.zst --input x.npy -o ez --output-format npy >/dev/null 2>ez.err || bad "edge-run run .zst: $(tail -1 ez.err)"
node "$NPY_TOOL" compare ortz/output_0.npy ez/output_0.npy --rtol 1e-5 --atol 1e-6 >/dev/null &&
  ok "edge-run runs z.onnx.zst, ONNX Runtime the decompressed file: they agree" || bad "zst outputs differ"
"$EDGE_RUN" bench z.onnx.zst --warmup 1 --runs 3 >/dev/null 2>b.err && ok "edge-run bench .zst" || bad "bench .zst: $(tail -1 b.err)"
"$COMPRESSOR" inspect z.onnx.zst >/dev/null 2>i.err && ok "compressor inspect .zst" || bad "inspect .zst: $(tail -1 i.err)"
"$COMPRESSOR" compress z.onnx.zst -o again.onnx --passes eliminate-dead -q 2>a.err &&
  "$PY" -c 'import onnx; assert len(onnx.load("again.onnx").graph.sparse_initializer) == 3' &&
  ok "compressor compress reads .zst" || bad "compress from .zst: $(tail -1 a.err)"

# 3. Bad input: one line, exit 2, nothing written.
cp z.onnx.zst corrupt.onnx.zst
printf '\x55\x55\x55\x55' | dd of=corrupt.onnx.zst bs=1 seek=$((ZS / 2)) conv=notrunc 2>/dev/null
expect_error 2 "corrupt.onnx.zst: corrupt" "edge-run run: corrupt .zst" -- "$EDGE_RUN" run corrupt.onnx.zst --random
expect_error 2 "corrupt.onnx.zst: " "compressor compress: corrupt .zst" -- "$COMPRESSOR" compress corrupt.onnx.zst -o out.onnx --passes eliminate-dead
[ ! -e out.onnx ] && ok "no output for a corrupt input" || bad "out.onnx written"
head -c $((ZS - 100)) z.onnx.zst > trunc.onnx.zst
expect_error 2 "trunc.onnx.zst: corrupt or truncated zstd frame" "truncated .zst" -- "$EDGE_RUN" run trunc.onnx.zst --random
# 3 GiB of zeros in ~100 KB, its size in the header: refused from the header.
head -c 3221225472 /dev/zero | zstd -q -1 --stream-size=3221225472 -o bomb.onnx.zst
expect_error 2 "bomb.onnx.zst: zstd frame declares 3221225472 decompressed bytes, above the limit of [0-9]+ bytes \(64x the frame" \
  "decompression bomb (3 GiB)" -- "$EDGE_RUN" run bomb.onnx.zst --random
expect_error 2 "declares 3221225472 decompressed bytes" "compressor inspect: bomb" -- "$COMPRESSOR" inspect bomb.onnx.zst
# Below the bound of --max-tensor-mb.
head -c 8388608 /dev/zero | zstd -q --stream-size=8388608 -o zeros.onnx.zst
expect_error 2 "above the limit of 4194304 bytes" "--max-tensor-mb 4 bounds decompression" -- "$EDGE_RUN" --max-tensor-mb 4 run zeros.onnx.zst --random
head -c 1000 /dev/urandom | zstd -q -o nosize.onnx.zst  # from a pipe: no size in the header
expect_error 2 "does not declare its decompressed size" "frame without a size" -- "$EDGE_RUN" run nosize.onnx.zst --random
expect_error 2 "hostile.onnx: sparse initializer 'fc3.weight': index 1000 \(entry 1\) is outside \[0, 1000\)" \
  "hostile sparse initializer" -- "$EDGE_RUN" run hostile.onnx --random
expect_error 2 "sparse initializer 'fc3.weight': index 1000" "compressor: hostile sparse initializer" -- \
  "$COMPRESSOR" compress hostile.onnx -o h.onnx --passes eliminate-dead
[ ! -e h.onnx ] && ok "no output for a hostile input" || bad "h.onnx written"
expect_error 2 "sparse_bomb.onnx: sparse initializer 'huge': sparse tensors of this model expand to more than" \
  "a sparse tensor claiming 2 GiB in a 1 MiB file" -- "$EDGE_RUN" run sparse_bomb.onnx --random
finish
