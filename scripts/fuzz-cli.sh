#!/usr/bin/env bash
# CLI-level fuzzing: structure-aware mutants (tests/fuzz/model_mutator.h) of the fixture models
# and mnist-8 through compressor inspect/compress/eval and edge-run run/bench, checking exit
# codes, one-line errors, no output file after an error, reloadable outputs and peak RSS
# (tests/fuzz/cli_campaign.py says exactly what counts as a finding).
#   scripts/fuzz-cli.sh [COUNT per model, default 50] [SEED, default 1]
# Uses BUILD_DIR (default build); writes BUILD_DIR/fuzz-cli/{summary.json,findings/}.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-50}
SEED=${2:-1}
B=${BUILD_DIR:-build}
[ -f "$B/build.ninja" ] || cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$B" compressor edge-run mutate_model >/dev/null
data=fixtures/data/mnist_calib_x.npy
models=()
for m in fixtures/models/*.onnx; do models+=("$m=$data"); done
mnist8=../shared/models/mnist-8/model.onnx
[ -f "$mnist8" ] && models+=("$mnist8=$data")
exec /usr/bin/python3 tests/fuzz/cli_campaign.py --bin-dir "$B/apps" --mutator "$B/tests/fuzz/mutate_model" \
  --count "$COUNT" --seed "$SEED" --out "$B/fuzz-cli" --jobs "${JOBS:-$(nproc)}" "${models[@]}"
