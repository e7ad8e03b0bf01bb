#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan+UBSan) into build-fuzz/ and fuzzes each for
# SECONDS (default 60) on a growing corpus (build-fuzz/corpus/<target>/, kept between runs)
# seeded from the hostile corpus, the fixtures, mnist-8 and the ONNX backend node tests.
#   scripts/fuzz.sh [SECONDS] [target...]
# Campaign mode (the default): each target runs with FUZZ_JOBS workers (default: all cores) in
# libFuzzer's fork mode, going on after a crash, OOM or timeout; afterwards
# tests/fuzz/triage.py replays every artifact, deduplicates them by stack into
# build-fuzz/findings/<target>/unique/ and writes build-fuzz/fuzz-summary.json (executions,
# coverage, corpus and findings per target). Exit status 1 if anything was found. Copy a
# reproducer into tests/fuzz/regressions/<target>/ once fixed so that ctest replays it.
# With FUZZ_RUNS=N each target instead runs exactly N inputs in one process from a fixed seed
# (-seed=1) and stops at the first finding: a deterministic smoke that gives the same result on
# every run (what CI uses).
# FUZZ_ENTROPIC=0|1 sets libFuzzer's entropic input scheduling for every target; by default it
# is off for fuzz_model_struct only: with its ~85,000 features the entropic bookkeeping
# (InputCorpus::UpdateFeatureFrequency) took 72 % of the time (perf, 2026-11-30) and
# -entropic=0 ran 2.5x the inputs a second (465 vs 183 in a 60 s run on its corpus) with the same
# feature growth.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_model_load fuzz_model_struct fuzz_runtime fuzz_npy fuzz_tensor_proto fuzz_recipe fuzz_dataset)
B=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${FUZZ_JOBS:-$(nproc)}
RSS_MB=${FUZZ_RSS_LIMIT_MB:-2048}
CC=clang-14 CXX=clang++-14 cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGE_FUZZ=ON >/dev/null
ninja -C $B -j"$(nproc)" "${TARGETS[@]}" >/dev/null
seeds=$B/seeds
rm -rf "$seeds"
mkdir -p "$seeds/models" "$seeds/tensors"
cp tests/hostile/models/*.onnx "$seeds/models/" 2>/dev/null || true
cp fixtures/models/*.onnx "$seeds/models/" 2>/dev/null || true
[ -f ../shared/models/mnist-8/model.onnx ] && cp ../shared/models/mnist-8/model.onnx "$seeds/models/mnist-8.onnx"
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
if [ -n "${FUZZ_RUNS:-}" ]; then
  LIMIT=(-runs="$FUZZ_RUNS" -seed=1)
else
  LIMIT=(-max_total_time="$SECONDS_PER_TARGET" -fork="$JOBS" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
# The fuzz build lets UBSan recover (-fsanitize=fuzzer-no-link,undefined); without this a UBSan
# report is printed and the run goes on, so it leaves no artifact and fork mode drops the log.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
total_execs=0
for t in "${TARGETS[@]}"; do
  case $t in
    fuzz_model_load|fuzz_runtime|fuzz_model_struct) corpus=$seeds/models ;;
    fuzz_recipe) corpus=tests/fuzz/seeds/recipe ;;
    fuzz_dataset) corpus=tests/fuzz/seeds/dataset ;;
    *) corpus=$seeds/tensors ;;
  esac
  # The structure-aware target takes whole fixture models (the largest is about 1 MB).
  max_len=262144
  [ "$t" = fuzz_model_struct ] && max_len=1100000
  entropic=${FUZZ_ENTROPIC:-1}
  [ -z "${FUZZ_ENTROPIC:-}" ] && [ "$t" = fuzz_model_struct ] && entropic=0
  work=$B/corpus/$t
  # A deterministic smoke starts from the seeds alone, not from what earlier runs found.
  [ -z "${FUZZ_RUNS:-}" ] || rm -rf "$work"
  findings=$B/findings/$t
  # This run's artifacts only: an earlier run's go to findings-previous/ (the triage counts these).
  if [ -z "${FUZZ_RUNS:-}" ] && [ -d "$findings" ]; then
    rm -rf "$B/findings-previous/$t"
    mkdir -p "$B/findings-previous"
    mv "$findings" "$B/findings-previous/$t"
  fi
  mkdir -p "$work" "$findings"
  log=$B/$t.log
  echo "fuzz: $t (${LIMIT[*]})"
  if ! "$B/tests/fuzz/$t" "$work" "$corpus" "${LIMIT[@]}" -timeout=10 -rss_limit_mb="$RSS_MB" -max_len=$max_len -entropic="$entropic" \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM (see $log and $findings)"
    tail -40 "$log"
    exit 1
  fi
  if [ -n "${FUZZ_RUNS:-}" ]; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    total_execs=$((total_execs + execs))
    echo "fuzz: $t clean, $execs executions"
  fi
done
if [ -n "${FUZZ_RUNS:-}" ]; then
  echo "fuzz: all targets clean, $total_execs executions in total"
else
  /usr/bin/python3 tests/fuzz/triage.py "$B" "$SECONDS_PER_TARGET" "$JOBS" "${TARGETS[@]}"
fi
