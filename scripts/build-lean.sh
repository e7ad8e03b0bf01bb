#!/usr/bin/env bash
# The runtime-only build (-DEDGE_RUNTIME_ONLY=ON: runtime, C API, edge-run; no libonnx, no
# compressor), natively or cross-compiled for aarch64 and tested under qemu-aarch64.
#   scripts/build-lean.sh [--arm64] [--kernels-for MODEL]... [--test [CTEST ARGS...]] [--footprint]
# Build folders: build-lean/ (native), build-lean-arm64/ (LEAN_BUILD_DIR overrides). --kernels-for
# makes a build for given models (-DEDGE_RUN_KERNELS: only the kernels they need, listed by
# `edge-run kernels` of a build without a selection: $EDGE_RUN, else build/apps/edge-run, else
# build-lean/edge-run) in build-lean-selected[-arm64]/; it has no tests. --test runs
# the lean ctest suite (conformance, C API + install consumer, no-alloc, fuzz replays, hostile
# corpus); under qemu every test binary runs emulated. --footprint prints the sizes that
# docs/performance.md reports (scripts/measure-footprint.sh).
# --arm64 needs: g++-aarch64-linux-gnu qemu-user-static, and (multiarch) libprotobuf-dev:arm64
# libzstd-dev:arm64 — see docs/deploy.md, "Cross-building for aarch64".
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
ARM64=0 TEST=0 FOOTPRINT=0
CTEST_ARGS=()
MODELS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --arm64) ARM64=1 ;;
    --kernels-for)
      [ $# -ge 2 ] || { echo "build-lean.sh: --kernels-for needs a model file" >&2; exit 2; }
      MODELS+=("$2")
      shift ;;
    --test) TEST=1 ;;
    --footprint) FOOTPRINT=1 ;;
    *) if [ "$TEST" = 1 ]; then CTEST_ARGS+=("$1"); else echo "build-lean.sh: unknown argument '$1'" >&2; exit 2; fi ;;
  esac
  shift
done
WERROR=OFF
if [ "${CI:-}" = "true" ]; then WERROR=ON; fi
ARGS=(-DCMAKE_BUILD_TYPE=Release -DEDGE_RUNTIME_ONLY=ON -DEDGE_WERROR=$WERROR)
SUFFIX=""
if [ ${#MODELS[@]} -gt 0 ]; then
  [ "$TEST" = 0 ] || { echo "build-lean.sh: a build for given models (--kernels-for) has no tests" >&2; exit 2; }
  TOOL=${EDGE_RUN:-}
  for t in build/apps/edge-run build-lean/edge-run; do
    [ -n "$TOOL" ] || [ ! -x "$t" ] || TOOL=$t
  done
  [ -n "$TOOL" ] || { echo "build-lean.sh: --kernels-for needs a native edge-run built without a selection" \
    "(scripts/build.sh or scripts/build-lean.sh first, or EDGE_RUN=...)" >&2; exit 2; }
  KERNELS=$("$TOOL" kernels "${MODELS[@]}")
  echo "kernels for ${MODELS[*]}: $KERNELS"
  ARGS+=(-DEDGE_RUN_KERNELS="$KERNELS")
  SUFFIX=-selected
else
  ARGS+=(-DEDGE_RUN_KERNELS=)
fi
if [ "$ARM64" = 1 ]; then
  B=${LEAN_BUILD_DIR:-build-lean$SUFFIX-arm64}
  ARGS+=(-DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake")
else
  B=${LEAN_BUILD_DIR:-build-lean$SUFFIX}
fi
cmake -S . -B "$B" -G Ninja "${ARGS[@]}" >/dev/null
ninja -C "$B" -j"${JOBS:-$(nproc)}"
if [ "$TEST" = 1 ]; then
  (cd "$B" && ctest --output-on-failure -j"${JOBS:-$(nproc)}" "${CTEST_ARGS[@]}")
fi
if [ "$FOOTPRINT" = 1 ]; then
  if [ "$ARM64" = 1 ]; then
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ STRIP=aarch64-linux-gnu-strip \
      READELF=aarch64-linux-gnu-readelf bash scripts/measure-footprint.sh "$B"
  else
    bash scripts/measure-footprint.sh "$B"
  fi
fi
