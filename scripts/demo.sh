#!/usr/bin/env bash
# The demo a new user runs: build, then on a bundled trained model (fixtures/models/resnet8.onnx,
# a ResNet-8 trained on Fashion-MNIST with BatchNormalization kept in the graph):
#   1. compressor inspect   - what is in the model
#   2. compressor eval      - its accuracy on 2,000 held-out test images
#   3. compressor compress  - a cleanup pipeline (BN folding, ...) with an HTML/JSON report
#   4. compressor compress  - static int8 quantization (QDQ), calibrated on unlabelled images,
#                             gated on accuracy and size, with the per-layer error table
#   5. edge-run bench       - how fast the results run here, per op
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
B=${BUILD_DIR:-build}/apps
M=fixtures/models/resnet8.onnx
D=fixtures/data
OUT=${DEMO_OUT:-demo-out}
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "compressor inspect $M"
$B/compressor inspect "$M"

step "compressor eval (2,000 Fashion-MNIST test images, pixels scaled to 0..1)"
$B/compressor eval "$M" --data $D/fashion_eval_x.npy --labels $D/fashion_eval_y.npy --scale 1/255 --batch 50

step "compressor compress: fold constants, fuse BatchNorm, clean up"
$B/compressor compress "$M" -o "$OUT/resnet8-clean.onnx" \
  --passes "fold-constants,fuse-bn,remove-identity,eliminate-dead,dedupe-initializers" \
  --eval-data $D/fashion_eval_x.npy --eval-labels $D/fashion_eval_y.npy --scale 1/255 --batch 50 \
  --max-accuracy-drop 0.001 --latency \
  --report "$OUT/report.html" --report "$OUT/report.json" -q
echo "report: $OUT/report.html"

step "compressor compress: int8 quantization (QDQ), calibrated on 1,000 unlabelled images"
$B/compressor compress "$M" -o "$OUT/resnet8-int8.onnx" --passes "fold-constants,fuse-bn,quantize-static" \
  --calib-data $D/fashion_calib_x.npy --eval-data $D/fashion_eval_x.npy --eval-labels $D/fashion_eval_y.npy \
  --scale 1/255 --batch 50 --max-accuracy-drop 0.005 --max-size 100KB \
  --report "$OUT/report-int8.html" --report "$OUT/report-int8.json"
echo "report with the per-layer quantization error table: $OUT/report-int8.html"

step "edge-run bench $OUT/resnet8-clean.onnx --profile"
$B/edge-run bench "$OUT/resnet8-clean.onnx" --runs 100 --profile | head -24

step "edge-run bench $OUT/resnet8-int8.onnx --profile (QDQ fused into integer kernels at load)"
$B/edge-run bench "$OUT/resnet8-int8.onnx" --runs 100 --profile | head -24
