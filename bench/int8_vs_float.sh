#!/usr/bin/env bash
# int8 (QDQ, as `compressor compress --passes fold-constants,fuse-bn,quantize-static` writes it)
# against float, in edge-run and in ONNX Runtime (onnxruntime-node, bench/ort_bench.js), measured
# in the same run on the same machine: for each model the float model after the same cleanup
# passes and its int8 version, ROUNDS rounds of RUNS timed inferences each (1 thread by default),
# the median of the round medians. Prints per model: edge-run float and int8, ORT float and int8
# (ms), int8/float in edge-run, and edge-run/ORT for both.
#
#   bench/int8_vs_float.sh [model ...]   (default: every fixture and mnist-8)
#   env: RUNS=1000 ROUNDS=3 THREADS=1 WORK=build/bench-int8 COMPRESSOR EDGE_RUN SHARED
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_NAME=bench-int8
. bench/lib_pairs.sh
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("${DEFAULT_MODELS[@]}")

# name -> "model calibration-data scale"
spec() {
  if [ "$1" = mnist-8 ]; then
    echo "$SHARED/models/mnist-8/model.onnx $ROOT/fixtures/data/mnist_calib_x.npy 1"
    return
  fi
  /usr/bin/python3 - "$1" <<'EOF'
import json, sys
m = json.load(open("fixtures/MANIFEST.json"))["models"][sys.argv[1]]
print("fixtures/" + m["file"], "fixtures/" + m["calib_data"], "1/255")
EOF
}
printf '%-18s %9s %9s %9s %9s %11s %10s %10s\n' model edge_f32 edge_int8 ort_f32 ort_int8 int8/f32 f32/ORT int8/ORT
for name in "${models[@]}"; do
  read -r model calib scale < <(spec "$name")
  f="$WORK/$name.float.onnx" q="$WORK/$name.int8.onnx"
  "$COMPRESSOR" compress "$model" -o "$f" --passes "fold-constants,fuse-bn" -q
  "$COMPRESSOR" compress "$model" -o "$q" --passes "fold-constants,fuse-bn,quantize-static" \
    --calib-data "$calib" --scale "$scale" --no-calib-cache -q
  ef=() eq=() of=() oq=()
  for _ in $(seq 1 "$ROUNDS"); do
    of+=("$(ort_ms "$f")") ef+=("$(edge_ms "$f")") oq+=("$(ort_ms "$q")") eq+=("$(edge_ms "$q")")
  done
  EF=$(printf '%s\n' "${ef[@]}" | median_of) EQ=$(printf '%s\n' "${eq[@]}" | median_of)
  OF=$(printf '%s\n' "${of[@]}" | median_of) OQ=$(printf '%s\n' "${oq[@]}" | median_of)
  /usr/bin/python3 -c "print('%-18s %9.4f %9.4f %9.4f %9.4f %11.2f %10.2f %10.2f' % ('$name', $EF, $EQ, $OF, $OQ, $EQ / $EF, $EF / $OF, $EQ / $OQ))"
done
