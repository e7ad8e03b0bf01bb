#!/usr/bin/env bash
# ctest driver for the runtime-only build, run from the full build's suite:
#   lean_build_test.sh configure SRC DIR   configure -DEDGE_RUNTIME_ONLY=ON into DIR (seconds) and
#                                          check that nothing links libonnx, libonnx_proto or the
#                                          full libprotobuf, and that no compressor target exists
#   lean_build_test.sh selection SRC DIR   configure a build for given models (-DEDGE_RUN_KERNELS)
#                                          into DIR: the list reaches kernel_selection.cc, tests
#                                          are off, a full build or an unknown name is refused
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
  selection)
    rm -rf "$DIR" "$DIR-bad"
    cmake -S "$SRC" -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGE_RUNTIME_ONLY=ON \
      -DEDGE_RUN_KERNELS="Conv, Relu;cpu_Conv" >/dev/null
    def="$DIR/gen/kernel-selection/edge_kernel_selection.def"
    [ "$(grep -v '^//' "$def" | tr '\n' ' ')" = "EDGE_KERNEL(Conv) EDGE_KERNEL(Relu) EDGE_CPU_KERNEL(Conv) " ] ||
      { echo "FAIL: $def:"; cat "$def"; exit 1; }
    grep -q '^EDGE_BUILD_TESTS:BOOL=OFF' "$DIR/CMakeCache.txt" || { echo "FAIL: tests on in a selective build"; exit 1; }
    grep -q 'EDGE_KERNEL_SELECTION' "$DIR/build.ninja" || { echo "FAIL: kernel_selection.cc not given the list"; exit 1; }
    if err=$(cmake -S "$SRC" -B "$DIR-bad" -G Ninja -DEDGE_RUNTIME_ONLY=ON -DEDGE_RUN_KERNELS="Conv;Convv;cpu_Nope" 2>&1); then
      echo "FAIL: unknown kernel names accepted"; exit 1
    fi
    grep -q "unknown kernel name(s): Convv, cpu_Nope" <<< "$err" || { echo "FAIL: message: $err"; exit 1; }
    rm -rf "$DIR-bad"
    if err=$(cmake -S "$SRC" -B "$DIR-bad" -G Ninja -DEDGE_RUN_KERNELS="Conv" 2>&1); then
      echo "FAIL: a selection accepted in the full build"; exit 1
    fi
    grep -q "EDGE_RUN_KERNELS needs -DEDGE_RUNTIME_ONLY=ON" <<< "$err" || { echo "FAIL: message: $err"; exit 1; }
    rm -rf "$DIR-bad"
    echo "ok: a build for given models configures with its list; bad lists are refused"
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
