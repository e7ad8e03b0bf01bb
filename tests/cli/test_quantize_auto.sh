#!/usr/bin/env bash
# quantize-auto on mobilenet-tiny and transformer-tiny (Fashion-MNIST fixtures):
#  - max_drop=0.01 with labelled eval data: the gate is met, measured again here with edge-run
#    and ONNX Runtime (top-1 drop <= 1 point); the ONNX checker passes and ONNX Runtime agrees
#    with edge-run;
#  - a tight gate without labels (top-1 agreement with the float model on the calibration data):
#    layers fall back to float, each listed in the report JSON (precision float, fallback true,
#    its reason) and the stage metrics; the agreement measured here with `compressor eval
#    --reference` on the calibration data meets the gate;
#  - an impossible gate within 2 trials: the best model is still written, the report says the
#    gate was not met (gate_met 0, a warning note);
#  - bad input: metric=accuracy without labels, an already-quantized model (exit 2).
. "$(dirname "$0")/lib.sh"
require_ort
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
CAL="$F/data/fashion_calib_x.npy"
X="$F/data/fashion_eval_x.npy"
Y="$F/data/fashion_eval_y.npy"
cd "$WORK"

json1() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$2" --labels "$3" --scale 1/255 --batch 50 --format json | json1 top1; }
ort_top1() { node "$ORT_RUN" "$1" --eval-x "$2" --eval-y "$3" --scale 1/255 --batch 50 ${4:+--predictions "$4"} | json1 top1; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }
# The ONNX checker of the onnx package of the system Python (the one with onnx installed).
checker() { /usr/bin/python3 -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$1"; }
stage() {  # stage() FILE PYTHON-EXPR-ON-s
  python3 -c "import json, sys; s = [x for x in json.load(open(sys.argv[1]))['stages'] if x['name'] == 'quantize-auto'][0]; print($2)" "$1"
}
D=(--calib-data "$CAL" --scale 1/255 --batch 50 --no-calib-cache -q)

for m in mobilenet-tiny transformer-tiny; do
  "$COMPRESSOR" compress "$F/models/$m.onnx" -o $m.f.onnx --passes "fold-constants,fuse-bn" -q || bad "$m: float"
  "$COMPRESSOR" compress "$F/models/$m.onnx" -o $m.q.onnx --passes "fold-constants,fuse-bn,quantize-auto<max_drop=0.01>" \
    "${D[@]}" --eval-data "$X" --eval-labels "$Y" --report $m.json || bad "$m: quantize-auto failed"
  checker $m.q.onnx && ok "$m: ONNX checker passes" || bad "$m: checker"
  [ "$(stage $m.json 's["metrics"]["gate_met"]')" = 1.0 ] && ok "$m: report says the gate is met" || bad "$m: gate_met"
  [ "$(stage $m.json '[n for n in s["notes"] if n.startswith("quantize-auto: metric accuracy")] != []')" = True ] &&
    ok "$m: metric is top-1 on the labelled eval data" || bad "$m: metric note"
  ff=$(edge_top1 $m.f.onnx "$X" "$Y"); fq=$(edge_top1 $m.q.onnx "$X" "$Y")
  le "$ff - $fq" 0.01 && ok "$m: edge-run top-1 $ff -> $fq (drop <= 1 point)" || bad "$m: edge-run top-1 $ff -> $fq"
  o=$(ort_top1 $m.q.onnx "$X" "$Y" $m.ort.npy)
  le "$ff - $o" 0.01 && ok "$m: ONNX Runtime top-1 $o (drop <= 1 point)" || bad "$m: ORT top-1 $o vs $ff"
  a=$(edge_top1 $m.q.onnx "$X" $m.ort.npy)
  le 0.995 "$a" && ok "$m: edge-run agrees with ONNX Runtime on $a" || bad "$m: edge-run vs ORT $a"
done

# --- a tight gate without labels: fallbacks ------------------------------------------------
m=mobilenet-tiny
"$COMPRESSOR" compress "$F/models/$m.onnx" -o tight.onnx \
  --passes "fold-constants,fuse-bn,quantize-auto<max_drop=0.003,max_trials=30>" "${D[@]}" --report tight.json ||
  bad "tight gate failed"
checker tight.onnx && ok "tight: ONNX checker passes" || bad "tight: checker"
python3 - <<'PY' && ok "tight: fallbacks listed in the report JSON with their reasons, gate met" || bad "tight: report"
import json
s = [x for x in json.load(open("tight.json"))["stages"] if x["name"] == "quantize-auto"][0]
m = s["metrics"]
assert m["gate_met"] == 1 and m["drop"] <= 0.003 + 1e-9 and m["all_int8_drop"] > 0.003 + 1e-9, m
fb = [l for l in s["layers"] if l["attrs"].get("fallback") == "true"]
assert len(fb) == m["fallback_layers"] >= 1, (fb, m)
for l in fb:
    assert l["attrs"]["precision"] == "float" and l["attrs"]["reason"].startswith("quantize-auto fallback: noise rank"), l
    assert "nsr_gain" in l["metrics"], l
assert m["float_layers"] >= len(fb) and m["trials"] <= 30, m
assert any(n.startswith("fell back to float: ") for n in s["notes"]), s["notes"]
assert any("metric agreement" in n for n in s["notes"]), s["notes"]
print(len(fb), "fallbacks, drop", m["drop"], file=open("tight.txt", "w"))
PY
agree=$("$COMPRESSOR" eval tight.onnx --data "$CAL" --reference $m.f.onnx --scale 1/255 --batch 50 --format json |
  json1 agreement_top1)
le 0.997 "$agree" && ok "tight: agreement with the float model on the calibration data $agree >= 0.997 ($(cat tight.txt))" ||
  bad "tight: agreement $agree"
o=$(ort_top1 tight.onnx "$X" "$Y" tight.ort.npy)
a=$(edge_top1 tight.onnx "$X" tight.ort.npy)
le 0.995 "$a" && ok "tight: ONNX Runtime runs it (top-1 $o), edge-run agrees on $a" || bad "tight: edge-run vs ORT $a"

# --- an impossible gate: the best model is kept, the report says so --------------------------
"$COMPRESSOR" compress "$F/models/$m.onnx" -o never.onnx \
  --passes "fold-constants,fuse-bn,quantize-auto<max_drop=0,max_trials=2>" "${D[@]}" --report never.json 2>never.err
rc=$?
[ $rc -eq 0 ] && [ -s never.onnx ] && ok "impossible gate: model written (exit 0)" || bad "impossible gate: exit $rc"
python3 - <<'PY' && ok "impossible gate: gate_met 0, warning note, 2 trials" || bad "impossible gate: report"
import json
s = [x for x in json.load(open("never.json"))["stages"] if x["name"] == "quantize-auto"][0]
assert s["metrics"]["gate_met"] == 0 and s["metrics"]["trials"] == 2, s["metrics"]
assert any(n.startswith("warning: max_drop 0 not met within 2 trials") for n in s["notes"]), s["notes"]
PY
grep -q "not met within 2 trials" never.err && ok "impossible gate: warned on stderr" || bad "no warning on stderr"

# --- bad input ----------------------------------------------------------------------------
expect_error 2 "metric=accuracy> needs labelled evaluation data" "metric=accuracy without labels" -- \
  "$COMPRESSOR" compress "$F/models/$m.onnx" -o x.onnx --passes "quantize-auto<metric=accuracy>" "${D[@]}"
expect_error 2 "already quantized .*quantize-auto takes a float model" "an already-quantized model" -- \
  "$COMPRESSOR" compress tight.onnx -o x.onnx --passes "quantize-auto" "${D[@]}"
[ ! -e x.onnx ] && ok "nothing written after bad input" || bad "output written after bad input"
finish
