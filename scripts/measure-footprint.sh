#!/usr/bin/env bash
# Footprint of a build (docs/performance.md, "Footprint"): stripped sizes of libedge_run.so,
# of the robot-loop C example and of edge-run linked against libedge_run.a, and the shared
# libraries each still needs (stripped copies, libc/libm/libgcc_s/ld.so left out: every Linux
# board has them). In a runtime-only build (-DEDGE_RUNTIME_ONLY=ON) the example and edge-run
# are also linked fully static (-static: libstdc++, protobuf-lite, zstd and libc inside).
#   scripts/measure-footprint.sh BUILD_DIR     (CXX, CC and STRIP for a cross build: see
#   scripts/build-lean.sh, which passes aarch64-linux-gnu-*)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
CC=${CC:-cc}
CXX=${CXX:-c++}
STRIP=${STRIP:-strip}
READELF=${READELF:-readelf}
[ -f "$B/lib/libedge_run.a" ] || { echo "measure-footprint: $B/lib/libedge_run.a missing (build first)" >&2; exit 2; }
LEAN=0
grep -q '^EDGE_RUNTIME_ONLY:BOOL=ON' "$B/CMakeCache.txt" && LEAN=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

stripped() {  # stripped FILE: bytes of a stripped copy
  cp "$1" "$T/s" && chmod u+w "$T/s" && "$STRIP" --strip-all "$T/s" && stat -c %s "$T/s"
}
deps() {  # deps FILE: NEEDED libraries other than the C runtime's, one per line
  "$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    grep -vE '^(libc|libm|libgcc_s|ld-linux.*|libpthread|libdl|librt)\.so' || true
}
report() {  # report LABEL FILE
  local total size lib path
  size=$(stripped "$2")
  total=$size
  local list=""
  for lib in $(deps "$2"); do
    path=$("$CXX" -print-file-name="$lib")
    [ -f "$path" ] || { list="$list $lib(?)"; continue; }
    local s
    s=$(stripped "$(readlink -f "$path")")
    total=$((total + s))
    list="$list $lib:$s"
  done
  printf '%-34s %9d bytes stripped; with shared deps %9d bytes;%s\n' "$1" "$size" "$total" "${list:- no shared deps beyond libc}"
}

report "libedge_run.so" "$(readlink -f "$B/lib/libedge_run.so")"
"$CC" -std=c99 -O2 -c examples/robot-loop/robot_loop.c -I lib/capi -I examples/robot-loop -o "$T/robot_loop.o"
APP_OBJS=$(find "$B" -path '*CMakeFiles/edge-run.dir/*' -name '*.o' | sort)
COMMON=$(find "$B" -name libedge_app_common.a | head -1)
if [ "$LEAN" = 1 ]; then
  DEPS=(-lprotobuf-lite -lzstd -lpthread -lm)
else  # the full edge-run also reads datasets (lib/data: zlib)
  COMMON="$COMMON $(find "$B" -name libedge_data.a | head -1)"
  DEPS=(-lonnx -lonnx_proto -lprotobuf -lzstd -lz -lpthread -lm)
fi
# shellcheck disable=SC2086
"$CXX" -o "$T/robot_loop_static_lib" "$T/robot_loop.o" "$B/lib/libedge_run.a" "${DEPS[@]}"
report "robot_loop (libedge_run.a)" "$T/robot_loop_static_lib"
# shellcheck disable=SC2086
"$CXX" -o "$T/edge-run_static_lib" $APP_OBJS $COMMON "$B/lib/libedge_run.a" "${DEPS[@]}"
report "edge-run (libedge_run.a)" "$T/edge-run_static_lib"
if [ "$LEAN" = 1 ]; then
  "$CXX" -static -o "$T/robot_loop_full_static" "$T/robot_loop.o" "$B/lib/libedge_run.a" "${DEPS[@]}"
  report "robot_loop (-static)" "$T/robot_loop_full_static"
  # shellcheck disable=SC2086
  "$CXX" -static -o "$T/edge-run_full_static" $APP_OBJS $COMMON "$B/lib/libedge_run.a" "${DEPS[@]}"
  report "edge-run (-static)" "$T/edge-run_full_static"
  if [ -n "${KEEP_STATIC:-}" ]; then cp "$T/robot_loop_full_static" "$T/edge-run_full_static" "$KEEP_STATIC/"; fi
fi
