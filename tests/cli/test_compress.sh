#!/usr/bin/env bash
# compressor compress: pipelines, recipes, gates and exit codes, reports, provenance,
# byte-identical reruns, refusal to overwrite the input, hostile recipes.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
M="$F/models/resnet8.onnx"
EVAL=(--eval-data "$F/data/fashion_eval_x.npy" --eval-labels "$F/data/fashion_eval_y.npy" --scale 1/255 --batch 50 --limit 400)
CLEAN="fold-constants,fuse-bn,remove-identity,eliminate-dead,dedupe-initializers,simplify-shapes"
cd "$WORK"

# Exit 0, outputs and reports written, BN folded away, provenance recorded.
"$COMPRESSOR" compress "$M" -o a.onnx --passes "$CLEAN" "${EVAL[@]}" --max-accuracy-drop 0.001 \
  --report a.json --report a.md --report a.html -q
[ $? -eq 0 ] && ok "cleanup pipeline with passing gate exits 0" || bad "cleanup pipeline exit code"
for f in a.onnx a.json a.md a.html; do [ -s $f ] && ok "$f written" || bad "$f missing"; done
"$COMPRESSOR" inspect a.onnx --format json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert "BatchNormalization" not in j["op_histogram"], j["op_histogram"]
' && ok "resnet8: every BatchNormalization folded" || bad "BatchNormalization left"
python3 - "$M" <<'PY' && ok "report JSON valid: stages, accuracy, gates, provenance" || bad "report JSON"
import json, sys, hashlib
r = json.load(open("a.json"))
assert r["schema"] == "edge.report/1"
assert r["verdict"] == "pass"
assert [s["name"] for s in r["stages"]] == ["fold-constants", "fuse-bn", "remove-identity", "eliminate-dead", "dedupe-initializers", "simplify-shapes"]
assert abs(r["original"]["top1"] - r["result"]["top1"]) <= 0.001
assert r["result"]["agreement_top1"] >= 0.99
assert r["input_sha256"] == hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
assert r["gates"][0]["name"] == "max-accuracy-drop" and r["gates"][0]["passed"]
PY
grep -q "edge.compressor.pipeline" a.onnx && grep -q "edge.compressor.input_sha256" a.onnx && ok "provenance in metadata_props" || bad "provenance missing"
"$EDGE_RUN" run a.onnx --random >/dev/null && ok "edge-run runs the output" || bad "edge-run cannot run the output"

# Same input + pipeline + seed => byte-identical model; reports equal except timings.
"$COMPRESSOR" compress "$M" -o b.onnx --passes "$CLEAN" "${EVAL[@]}" --max-accuracy-drop 0.001 --report b.json -q
cmp -s a.onnx b.onnx && ok "byte-identical rerun" || bad "rerun differs"
python3 - <<'PY' && ok "reports identical except timing fields" || bad "reports differ beyond timings"
import json
def strip(r):
    r.pop("started_at", None); r.pop("total_seconds", None); r.pop("output_path", None)
    for s in r["stages"]: s.pop("seconds", None)
    for k in ("original", "result"): r[k].pop("latency_ms", None)
    return r
a, b = strip(json.load(open("a.json"))), strip(json.load(open("b.json")))
assert a == b, [k for k in a if a[k] != b.get(k)]
PY

# Gates: exit 1 with outputs still written and the failing gate named.
rm -f g.onnx g.json
"$COMPRESSOR" compress "$M" -o g.onnx --passes fuse-bn --max-size 10KB --max-params 1000000 --report g.json -q 2>g.err
rc=$?
[ $rc -eq 1 ] && ok "failing gate exits 1" || bad "failing gate exit $rc"
[ -s g.onnx ] && [ -s g.json ] && ok "outputs written despite the failed gate" || bad "outputs missing after gate failure"
grep -q "max-size" g.err && ok "failed gate named on stderr" || bad "gate not named"
python3 -c '
import json; r = json.load(open("g.json")); g = {x["name"]: x for x in r["gates"]}
assert r["verdict"] == "gate-failed" and not g["max-size"]["passed"] and g["max-params"]["passed"]
assert g["max-size"]["value"] > g["max-size"]["limit"]
' && ok "report says which gate failed and by how much" || bad "gate report"
"$COMPRESSOR" compress "$M" -o l.onnx --passes fuse-bn --max-latency-ms 100000 -q && ok "latency gate passes" || bad "latency gate"

# Usage and input errors: exit 2, one line, nothing written.
expect_error 2 "did you mean 'fuse-bn'" "unknown pass" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "fuse-bm"
expect_error 2 "no option 'sparsity'" "unknown option" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "fuse-bn<sparsity=0.5>"
expect_error 2 "must be an integer" "bad option value" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "fold-constants<max_bytes=x>"
expect_error 2 "trailing ','" "trailing comma" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes "fuse-bn,"
expect_error 2 "needs labelled evaluation data" "accuracy gate without labels" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes fuse-bn --max-accuracy-drop 0.01
expect_error 2 "not a size" "bad --max-size" -- "$COMPRESSOR" compress "$M" -o x.onnx --passes fuse-bn --max-size lots
[ ! -e x.onnx ] && ok "no output after usage errors" || bad "output written after an error"
cp "$M" mine.onnx
sum=$(sha256sum mine.onnx)
expect_error 2 "--in-place" "output equal to input refused" -- "$COMPRESSOR" compress mine.onnx -o mine.onnx --passes fuse-bn
[ "$(sha256sum mine.onnx)" = "$sum" ] && ok "input untouched" || bad "input modified"
"$COMPRESSOR" compress mine.onnx -o mine.onnx --passes fuse-bn --in-place -q && ok "--in-place allowed" || bad "--in-place"
"$COMPRESSOR" compress "$M" --passes "$CLEAN" --dry-run --report d.json -q && [ ! -e d.onnx ] && \
  python3 -c 'import json; assert json.load(open("d.json"))["verdict"] == "dry-run"' && ok "dry run" || bad "dry run"

# A recipe gives the same model as the equivalent --passes.
cat > r.yaml <<Y
version: 1
seed: 0
pipeline: [fold-constants, fuse-bn, remove-identity, eliminate-dead, dedupe-initializers, simplify-shapes]
data:
  eval: {path: $F/data/fashion_eval_x.npy, labels: $F/data/fashion_eval_y.npy, scale: 1/255, batch: 50, limit: 400}
gates: {max-accuracy-drop: 0.001}
Y
"$COMPRESSOR" compress "$M" -o r.onnx --recipe r.yaml -q && cmp -s r.onnx a.onnx && ok "recipe == --passes" || bad "recipe output differs"

# A bad per-layer value is an input error when the recipe is read, naming the rule and option.
cat > bad-layer.yaml <<Y
pipeline: [fold-constants, fuse-bn]
layers:
  - {match: conv1, exclude: true}
  - {match: "re:/layer.*", max_bytes: -1}
Y
expect_error 2 "bad-layer\.yaml: layers\[1\] \(match 're:/layer\.\*'\): option 'max_bytes' of pass 'fold-constants' must be in" \
  "bad per-layer value" -- "$COMPRESSOR" compress "$M" -o bl.onnx --recipe bad-layer.yaml
[ ! -e bl.onnx ] && ok "no output for a bad per-layer value" || bad "output written for a bad per-layer value"

# Hostile recipes.
while IFS='|' read -r file regex; do
  file=$(echo "$file" | xargs); regex=$(echo "$regex" | sed 's/^ *//; s/ *$//')
  [ -z "$file" ] || [ "${file:0:1}" = "#" ] && continue
  expect_error 2 "$regex" "recipe $file" -- "$COMPRESSOR" compress "$M" -o "h-$file.onnx" --recipe "$S/tests/hostile/recipes/$file"
  [ ! -e "h-$file.onnx" ] && ok "no output for $file" || bad "output written for $file"
done < "$S/tests/hostile/recipe-cases.txt"
finish
