#!/usr/bin/env bash
# Every pipeline on every fixture, run twice (threads 1 and 2): byte-identical models and
# reports identical except timing fields.
. "$(dirname "$0")/lib.sh"
F="$EDGE_SOURCE_DIR/fixtures"
PIPELINES=(
  "fold-constants,fuse-bn,remove-identity,eliminate-dead,dedupe-initializers,simplify-shapes"
  "simplify-shapes,fold-constants,eliminate-dead"
)
cd "$WORK"
for model in "$F"/models/*.onnx; do
  name=$(basename "$model" .onnx)
  case $name in mlp*|lenet*|gru*) task=mnist ;; *) task=fashion ;; esac
  for i in "${!PIPELINES[@]}"; do
    p=${PIPELINES[$i]}
    for t in 1 2; do
      "$COMPRESSOR" compress "$model" -o "$name-$i-$t.onnx" --passes "$p" --threads $t --seed 7 \
        --eval-data "$F/data/${task}_eval_x.npy" --eval-labels "$F/data/${task}_eval_y.npy" --scale 1/255 \
        --batch 25 --limit 100 --report "$name-$i-$t.json" -q || bad "$name pipeline $i threads $t failed"
    done
    cmp -s "$name-$i-1.onnx" "$name-$i-2.onnx" && ok "$name pipeline $i: identical models (threads 1 vs 2)" \
      || bad "$name pipeline $i: models differ"
    python3 - "$name-$i-1.json" "$name-$i-2.json" <<'PY' && ok "$name pipeline $i: identical reports" || bad "$name pipeline $i: reports differ"
import json, sys
def strip(r):
    for k in ("started_at", "total_seconds", "output_path"): r.pop(k, None)
    for s in r["stages"]: s.pop("seconds", None)
    return r
a, b = (strip(json.load(open(p))) for p in sys.argv[1:])
assert a == b
PY
  done
done
finish
