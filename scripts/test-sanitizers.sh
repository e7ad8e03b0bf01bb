#!/usr/bin/env bash
# Builds the whole project with clang-14, AddressSanitizer + UndefinedBehaviorSanitizer and
# libFuzzer instrumentation (build-fuzz/), runs the test suite under it (unit, conformance,
# CLI incl. the hostile corpus, fuzz regression replays; not the tests labelled "slow": the
# end-to-end compress+evaluate scripts of the quantize and prune stages, whose code the unit
# tests cover sanitized),
# then a deterministic fuzzing smoke of every target in the same build: FUZZ_RUNS inputs per
# target from a fixed seed (default 20000; 0 skips it).
# Any sanitizer report or fuzzer finding fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
B=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGE_FUZZ=ON >/dev/null
ninja -C "$B" -j"${JOBS:-$(nproc)}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$B" && ctest --output-on-failure -j"${JOBS:-$(nproc)}" -LE "long|ort|browser|slow" "$@")
if [ "${FUZZ_RUNS:-20000}" -gt 0 ]; then
  FUZZ_BUILD_DIR="$B" FUZZ_RUNS="${FUZZ_RUNS:-20000}" bash scripts/fuzz.sh
fi
