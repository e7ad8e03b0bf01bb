#!/usr/bin/env bash
# quantize-static<format=qoperator> run by edge-run: QLinearConv, QLinearMatMul, MatMulInteger
# and the com.microsoft QLinear* ops need edge-run's integer kernels. Top-1 on the eval split
# within 0.1 point of the float model (mnist-8) / 0.5 point (lenet5, resnet8), and edge-run
# agrees with ONNX Runtime on >= 99.5 % of the samples. Skipped (exit 77, EDGE-SKIP) when
# edge-run has no kernel for these ops or ONNX Runtime is not installed (failed where
# EDGE_REQUIRE_ORT=1).
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
M8="$EDGE_SHARED_DIR/models/mnist-8/model.onnx"
if [ ! -f "$M8" ]; then echo "EDGE-SKIP: $M8 not found (is ../shared there?)"; exit 77; fi
ORT_RUN="$S/scripts/ort/ort_run.js"
if ! command -v node >/dev/null || [ ! -f "$S/scripts/ort/node_modules/onnxruntime-node/package.json" ]; then
  [ "${EDGE_REQUIRE_ORT:-0}" = 1 ] && { echo "FAIL: onnxruntime-node not installed (EDGE_REQUIRE_ORT=1)"; exit 1; }
  echo "EDGE-SKIP: onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts)"
  exit 77
fi
cd "$WORK"

top1() { python3 -c 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
edge_top1() { "$COMPRESSOR" eval "$1" --data "$2" --labels "$3" --scale "$4" --batch 50 --format json | top1; }
le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 + 1e-9 else 1)"; }

"$COMPRESSOR" compress "$M8" -o mnist-8.onnx --passes "fold-constants,quantize-static<format=qoperator>" \
  --calib-data "$F/data/mnist_calib_x.npy" --no-calib-cache -q 2>/dev/null || bad "mnist-8 qoperator failed"
if err=$("$EDGE_RUN" run mnist-8.onnx --random 2>&1 >/dev/null); [ -n "$err" ] && echo "$err" | grep -q "not supported by edge-run"; then
  echo "EDGE-SKIP: edge-run has no integer kernels for the QOperator form: $err"
  exit 77
fi

for spec in mnist-8:mnist:1:0.001 lenet5:mnist:1/255:0.005 resnet8:fashion:1/255:0.005; do
  IFS=: read -r m d scale limit <<<"$spec"
  X="$F/data/${d}_eval_x.npy"; Y="$F/data/${d}_eval_y.npy"
  if [ "$m" = mnist-8 ]; then
    src="$M8"; float="$M8"
  else
    src="$F/models/$m.onnx"; float=$m.f.onnx
    "$COMPRESSOR" compress "$src" -o "$float" --passes "fold-constants,fuse-bn" -q
    "$COMPRESSOR" compress "$src" -o $m.onnx --passes "fold-constants,fuse-bn,quantize-static<format=qoperator>" \
      --calib-data "$F/data/${d}_calib_x.npy" --scale "$scale" --batch 50 --no-calib-cache -q || bad "$m: quantize failed"
  fi
  ff=$(edge_top1 "$float" "$X" "$Y" "$scale")
  fq=$(edge_top1 $m.onnx "$X" "$Y" "$scale")
  le "$ff - $fq" "$limit" && ok "$m: edge-run top-1 $ff -> $fq" || bad "$m: edge-run top-1 $ff -> $fq (limit $limit)"
  node "$ORT_RUN" $m.onnx --eval-x "$X" --eval-y "$Y" --scale "$scale" --batch 50 --predictions $m.ort.npy >/dev/null
  a=$(edge_top1 $m.onnx "$X" $m.ort.npy "$scale")
  le 0.995 "$a" && ok "$m: edge-run agrees with ONNX Runtime on $a of the samples" || bad "$m: agreement $a"
done
finish
