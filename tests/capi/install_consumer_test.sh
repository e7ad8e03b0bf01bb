#!/usr/bin/env bash
# Installs the build tree into a temp prefix, then configures and builds a tiny C project
# (tests/capi/consumer) against it with find_package(EdgeRun) only, and a second build of
# the same source with pkg-config; all run mnist-8 and compare with test_data_set_0. Then
# builds examples/robot-loop against the prefix, as its README says, and runs it briefly.
#   install_consumer_test.sh BUILD_DIR SHARED_DIR
# Exit 77 (EDGE-SKIP) when SHARED_DIR/models/mnist-8 is missing. A cross build passes its
# toolchain file (EDGE_CONSUMER_TOOLCHAIN), C compiler (EDGE_CONSUMER_CC) and emulator
# (EDGE_RUN_EMULATOR, e.g. qemu-aarch64-static), which runs every program built here.
set -euo pipefail
BUILD=$1
SHARED=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MNIST=$SHARED/models/mnist-8
if [ ! -f "$MNIST/model.onnx" ]; then
  echo "EDGE-SKIP: $MNIST not found (../shared missing)"
  exit 77
fi
# shellcheck disable=SC2206
EMU=(${EDGE_RUN_EMULATOR:-})
CMAKE_ARGS=()
[ -n "${EDGE_CONSUMER_TOOLCHAIN:-}" ] && CMAKE_ARGS+=(-DCMAKE_TOOLCHAIN_FILE="$EDGE_CONSUMER_TOOLCHAIN")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
test -f "$TMP/prefix/include/edge_run.h"
test -f "$TMP/prefix/include/edge-run/runtime/session.h"
test -f "$TMP/prefix/lib/cmake/EdgeRun/EdgeRunConfig.cmake"
test -f "$TMP/prefix/lib/libedge_run.a"
test -f "$TMP/prefix/lib/pkgconfig/edge-run.pc"
cp "$HERE/consumer/CMakeLists.txt" "$HERE/consumer/main.c" "$HERE/onnx_tensor_pb.h" "$TMP/"
cmake -S "$TMP" -B "$TMP/build" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" "${CMAKE_ARGS[@]}" >/dev/null
cmake --build "$TMP/build" >/dev/null
echo "find_package build (shared):"
"${EMU[@]}" "$TMP/build/consumer" "$MNIST"
echo "find_package build (static):"
"${EMU[@]}" "$TMP/build/consumer_static" "$MNIST"
# pkg-config: nothing but the .pc file (and the run-time path to the shared library).
PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig" pkg-config --cflags --libs edge-run >"$TMP/pc.flags"
# shellcheck disable=SC2046
"${EDGE_CONSUMER_CC:-cc}" -std=c99 -o "$TMP/consumer_pc" "$TMP/main.c" $(cat "$TMP/pc.flags") -lm -Wl,-rpath,"$TMP/prefix/lib"
echo "pkg-config build:"
"${EMU[@]}" "$TMP/consumer_pc" "$MNIST"
# The robot-loop example as its README builds it: on its own, against the installed package.
ROBOT=$(cd "$HERE/../../examples/robot-loop" && pwd)
cmake -S "$ROBOT" -B "$TMP/robot" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" "${CMAKE_ARGS[@]}" >/dev/null
cmake --build "$TMP/robot" >/dev/null
"${EMU[@]}" "$TMP/robot/robot_loop" "$MNIST/model.onnx" 500 20
"${EMU[@]}" "$TMP/robot/robot_loop_cxx" "$MNIST/model.onnx" 500 20
