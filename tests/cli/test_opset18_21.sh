#!/usr/bin/env bash
# Models at ai.onnx opsets 18-21 (written by scripts/fixtures/opset_models.py, since Debian's
# ONNX 1.12 test data stops at opset 17): they load with every output shaped as ONNX Runtime
# computes it, run in edge-run with the outputs of ONNX Runtime 1.30 (edge-run run and check),
# bench, and compress with the cleanup passes into models that our own validation and ONNX
# Runtime both load and that still agree with ONNX Runtime. Ops we do not run, float8 and
# newer opsets are refused with one clear line.
# Needs /usr/bin/python3 with onnx and numpy (python3-onnx, python3-numpy) to write the models,
# and onnxruntime-node (scripts/ort) for the cross-checks: without them the checks that need
# them are not run and the test exits 77 (skipped) with an EDGE-SKIP line saying so.
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
PY=${EDGE_FIXTURE_PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
CLEAN="fold-constants,remove-identity,eliminate-dead,dedupe-initializers,simplify-shapes,fold-constants,eliminate-dead"
cd "$WORK"

if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
  echo "EDGE-SKIP: $PY cannot import onnx and numpy (apt install python3-onnx python3-numpy): nothing checked"
  exit 77
fi
have_ort=1
{ command -v "$NODE" >/dev/null && [ -f "$S/scripts/ort/node_modules/onnxruntime-node/package.json" ]; } || have_ort=0

"$PY" "$S/scripts/fixtures/opset_models.py" models >gen.log 2>&1 && ok "fixture models written" || { bad "opset_models.py: $(tail -1 gen.log)"; finish; exit; }
mapfile -t names < <("$PY" "$S/scripts/fixtures/opset_models.py" --list)
[ ${#names[@]} -ge 15 ] && ok "${#names[@]} models at opsets 18-21" || bad "only ${#names[@]} models"

# 1. Load: ONNX 1.12 cannot check these opsets by itself; our validation accepts them and our
#    shape inference agrees with the output shapes ONNX Runtime computes (declared in the files:
#    a contradiction or an unshaped output would be a note).
for n in "${names[@]}"; do
  m=models/$n/model.onnx
  if ! "$COMPRESSOR" inspect "$m" --format json >"$n.inspect.json" 2>"$n.err"; then bad "$n: inspect: $(tail -1 "$n.err")"; continue; fi
  python3 - "$n.inspect.json" <<'PY' && ok "$n: loads, validated, every output shaped (no notes)" || bad "$n: inspect notes"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["notes"] == [], j["notes"]
assert j["opsets"], j
PY
done

# 2. Run: every model runs; bench works on two of them.
for n in "${names[@]}"; do
  inputs=()
  for f in models/$n/test_data_set_0/input_*.pb; do inputs+=(--input "$f"); done
  "$EDGE_RUN" run "models/$n/model.onnx" "${inputs[@]}" --output-format npy -o "run_$n" >"$n.run.log" 2>&1 &&
    ok "$n: edge-run run" || bad "$n: edge-run run: $(tail -1 "$n.run.log")"
done
for n in resize18 cnn21; do
  "$EDGE_RUN" bench "models/$n/model.onnx" --runs 5 --warmup 1 --format json >"$n.bench.json" 2>"$n.err" &&
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["latency_ms"]["median"] > 0' "$n.bench.json" 2>/dev/null &&
    ok "$n: edge-run bench" || bad "$n: edge-run bench: $(tail -1 "$n.err")"
done

# 3. Compress with the cleanup passes: the output keeps its opset, passes our own validation
#    (it is loaded again with the checker and shape inference) and runs; on cnn21 the opset-18
#    forms on constants (ReduceMean with an axes input, Split with num_outputs) are folded and
#    the Shape of a static tensor becomes a constant.
mkdir -p compressed
for n in "${names[@]}"; do
  mkdir -p "compressed/$n"
  cp -r "models/$n/test_data_set_0" "compressed/$n/"
  if "$COMPRESSOR" compress "models/$n/model.onnx" -o "compressed/$n/model.onnx" --passes "$CLEAN" -q 2>"$n.err" &&
     "$COMPRESSOR" inspect "compressed/$n/model.onnx" --format json >"$n.c.json" 2>>"$n.err"; then
    python3 - "$n.c.json" "$n.inspect.json" <<'PY' && ok "$n: compressed, same opset, loads again without notes" || bad "$n: compressed model"
import json, sys
c, o = (json.load(open(p)) for p in sys.argv[1:])
assert c["notes"] == [], c["notes"]
assert c["opsets"] == o["opsets"], (c["opsets"], o["opsets"])
PY
  else
    bad "$n: compress: $(tail -1 "$n.err")"
  fi
done
python3 - cnn21.c.json cnn21.inspect.json <<'PY' && ok "cnn21: ReduceMean(axes input)/Split(num_outputs) on constants folded, Shape folded" || bad "cnn21: cleanup did not fold"
import json, sys
c, o = (json.load(open(p))["op_histogram"] for p in sys.argv[1:])
assert o["Split"] == 1 and o["ReduceMean"] == 2 and o["Shape"] == 1, o
assert "Split" not in c and "Shape" not in c and "Concat" not in c and "Sub" not in c, c
assert c["ReduceMean"] == 1, c  # the one on activations stays
PY

# 4. Refusals: one line on stderr, exit 2.
"$PY" "$S/scripts/fixtures/opset_models.py" --refused refused >>gen.log 2>&1 || bad "opset_models.py --refused"
expect_error 2 "DeformConv \(opset 19\) is not supported" "DeformConv-19 is refused by name" -- \
  "$EDGE_RUN" run refused/deformconv19.onnx --random
expect_error 2 "float8e4m3fn \(ONNX type 17\) is not supported" "a float8 Cast is refused by name" -- \
  "$EDGE_RUN" run refused/cast_float8_19.onnx --random
expect_error 2 "opset 22 is newer than the highest supported opset 21" "opset 22 is refused" -- \
  "$EDGE_RUN" run refused/relu22.onnx --random
expect_error 2 "blocked quantization \(block_size\) is not supported" "blocked DequantizeLinear-21 is refused" -- \
  "$EDGE_RUN" run refused/dequantize_block21.onnx --random

# 5. ONNX Runtime: outputs of the originals and of the compressed models agree with edge-run
#    (scripts/ort/crosscheck.sh: |edge - ort| <= 1e-4 + 1e-4 * max|ort|), and edge-run check
#    passes with ONNX Runtime's outputs as the reference set.
if [ $have_ort -eq 1 ]; then
  originals=() compressed=()
  for n in "${names[@]}"; do originals+=("models/$n/model.onnx"); compressed+=("compressed/$n/model.onnx"); done
  EDGE_RUN="$EDGE_RUN" COMPRESSOR="$COMPRESSOR" bash "$S/scripts/ort/crosscheck.sh" "${originals[@]}" >ort.log 2>&1
  [ $? -eq 0 ] && ok "edge-run agrees with ONNX Runtime on all ${#names[@]} models" || { cat ort.log; bad "ORT crosscheck (originals)"; }
  EDGE_RUN="$EDGE_RUN" COMPRESSOR="$COMPRESSOR" bash "$S/scripts/ort/crosscheck.sh" "${compressed[@]}" >ort_c.log 2>&1
  [ $? -eq 0 ] && ok "ONNX Runtime loads every compressed model and agrees with edge-run" || { cat ort_c.log; bad "ORT crosscheck (compressed)"; }
  for n in "${names[@]}"; do
    inputs=()
    for f in models/$n/test_data_set_0/input_*.pb; do inputs+=(--input "$f"); done
    if "$NODE" "$S/scripts/ort/ort_run.js" "models/$n/model.onnx" "${inputs[@]}" -o "ort_$n" >/dev/null 2>"$n.err" &&
       "$PY" "$S/scripts/fixtures/opset_models.py" --npy-to-pb "ort_$n" "models/$n/test_data_set_0" 2>>"$n.err"; then
      "$EDGE_RUN" check "models/$n/model.onnx" "models/$n/test_data_set_0" >"$n.check.log" 2>&1 &&
        ok "$n: edge-run check against ONNX Runtime's outputs" || bad "$n: edge-run check: $(tail -2 "$n.check.log")"
    else
      bad "$n: ONNX Runtime reference: $(tail -1 "$n.err")"
    fi
  done
fi

if [ $have_ort -eq 0 ] && [ "$FAILS" -eq 0 ]; then
  [ "${EDGE_REQUIRE_ORT:-0}" = 1 ] && { bad "onnxruntime-node missing (EDGE_REQUIRE_ORT=1)"; finish; exit; }
  finish
  echo "EDGE-SKIP: onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts): ONNX Runtime cross-checks not run"
  exit 77
fi
finish
