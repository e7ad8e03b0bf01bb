#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan+UBSan) into build-fuzz/ and runs each for
# SECONDS (default 60) on a seed corpus built from the hostile corpus, the fixtures and the
# ONNX backend node tests. Findings are written to build-fuzz/findings/<target>/; copy a
# reproducer into tests/fuzz/regressions/<target>/ once fixed so that ctest replays it.
#   scripts/fuzz.sh [SECONDS] [target...]
# With FUZZ_RUNS=N each target instead runs exactly N inputs from a fixed seed (-seed=1):
# a deterministic smoke that gives the same result on every run (what CI uses).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_model_load fuzz_runtime fuzz_npy fuzz_tensor_proto fuzz_recipe fuzz_dataset)
B=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGE_FUZZ=ON >/dev/null
ninja -C $B -j"$(nproc)" "${TARGETS[@]}" >/dev/null
seeds=$B/seeds
rm -rf "$seeds"
mkdir -p "$seeds/models" "$seeds/tensors"
cp tests/hostile/models/*.onnx "$seeds/models/" 2>/dev/null || true
cp fixtures/models/*.onnx "$seeds/models/" 2>/dev/null || true
n=0
for d in /usr/share/libonnx-testdata/data/node/*/; do
  n=$((n + 1))
  [ $((n % 4)) -eq 0 ] || continue   # a quarter of the node tests keeps the corpus small
  name=$(basename "$d")
  [ "$(stat -c %s "$d/model.onnx")" -lt 65536 ] && cp "$d/model.onnx" "$seeds/models/$name.onnx"
  [ -f "$d/test_data_set_0/input_0.pb" ] && [ "$(stat -c %s "$d/test_data_set_0/input_0.pb")" -lt 65536 ] && \
    cp "$d/test_data_set_0/input_0.pb" "$seeds/tensors/$name.pb"
done
cp tests/hostile/inputs/* "$seeds/tensors/"
if [ -n "${FUZZ_RUNS:-}" ]; then LIMIT=(-runs="$FUZZ_RUNS" -seed=1); else LIMIT=(-max_total_time="$SECONDS_PER_TARGET"); fi
total_execs=0
for t in "${TARGETS[@]}"; do
  case $t in
    fuzz_model_load|fuzz_runtime) corpus=$seeds/models ;;
    fuzz_recipe) corpus=tests/fuzz/seeds/recipe ;;
    fuzz_dataset) corpus=tests/fuzz/seeds/dataset ;;
    *) corpus=$seeds/tensors ;;
  esac
  work=$B/corpus/$t
  # A deterministic smoke starts from the seeds alone, not from what earlier runs found.
  [ -z "${FUZZ_RUNS:-}" ] || rm -rf "$work"
  findings=$B/findings/$t
  mkdir -p "$work" "$findings"
  log=$B/$t.log
  echo "fuzz: $t (${LIMIT[*]})"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 "$B/tests/fuzz/$t" "$work" "$corpus" \
      "${LIMIT[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=262144 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM (see $log and $findings)"
    tail -40 "$log"
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  total_execs=$((total_execs + execs))
  echo "fuzz: $t clean, $execs executions"
done
echo "fuzz: all targets clean, $total_execs executions in total"
