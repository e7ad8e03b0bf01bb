#!/usr/bin/env bash
# ctest driver for the runtime-only build, run from the full build's suite:
#   lean_build_test.sh configure SRC DIR   configure -DEDGE_RUNTIME_ONLY=ON into DIR (seconds) and
#                                          check that nothing links libonnx, libonnx_proto or the
#                                          full libprotobuf, and that no compressor target exists
#   lean_build_test.sh build SRC DIR       scripts/build-lean.sh --test into DIR (minutes)
#   lean_build_test.sh arm64 SRC DIR       the same cross-compiled for aarch64, tests under qemu;
#                                          exit 77 (EDGE-SKIP) without the cross toolchain
set -euo pipefail
MODE=$1 SRC=$2 DIR=$3
case "$MODE" in
  configure)
    cmake -S "$SRC" -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGE_RUNTIME_ONLY=ON >/dev/null
    N="$DIR/build.ninja"
    if grep -qE 'libonnx(_proto)?\.so|[-/]lonnx|libprotobuf\.(so|a)' "$N"; then
      echo "FAIL: the runtime-only build links libonnx or the full libprotobuf:"
      grep -oE '[^ ]*(libonnx(_proto)?\.so|libprotobuf\.(so|a))[^ ]*' "$N" | sort -u | head
      exit 1
    fi
    grep -q 'libprotobuf-lite' "$N" || { echo "FAIL: no protobuf-lite in the link"; exit 1; }
    targets=$(ninja -C "$DIR" -t targets all)
    for t in compressor edge_passes edge_calib edge_train edge_report edge_data; do
      if grep -qE "^$t(:| )" <<< "$targets"; then echo "FAIL: target $t in the runtime-only build"; exit 1; fi
    done
    for t in edge-run edge_run edge_conformance edge_capi_test; do
      grep -qE "(^|/)$t(:| )" <<< "$targets" || { echo "FAIL: target $t missing"; exit 1; }
    done
    echo "ok: runtime-only build configured without libonnx, with edge-run, libedge_run and its tests"
    ;;
  build)
    LEAN_BUILD_DIR="$DIR" bash "$SRC/scripts/build-lean.sh" --test
    ;;
  arm64)
    for tool in aarch64-linux-gnu-g++ qemu-aarch64-static; do
      command -v "$tool" >/dev/null || { echo "EDGE-SKIP: $tool not installed (docs/deploy.md)"; exit 77; }
    done
    [ -f /usr/lib/aarch64-linux-gnu/libprotobuf-lite.so ] ||
      { echo "EDGE-SKIP: libprotobuf-dev:arm64 not installed (docs/deploy.md)"; exit 77; }
    LEAN_BUILD_DIR="$DIR" bash "$SRC/scripts/build-lean.sh" --arm64 --test
    ;;
  *) echo "lean_build_test.sh: unknown mode '$MODE'" >&2; exit 2 ;;
esac
