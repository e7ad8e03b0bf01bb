#!/usr/bin/env bash
# Writes the kernel selection `edge-run kernels MODEL...` prints as OUT (edge_kernel_selection.def),
# through cmake/EdgeKernelSelection.cmake as a -DEDGE_RUN_KERNELS build does.
#   write_selection.sh EDGE_RUN SOURCE_DIR OUT MODEL...
set -euo pipefail
edge_run=$1 src=$2 out=$3
shift 3
kernels=$("$edge_run" kernels "$@")
cmake -DKERNELS="$kernels" -DSOURCE_DIR="$src" -DOUT="$out" -P "$src/cmake/EdgeKernelSelection.cmake"
touch "$out"  # newer than its inputs even when the content did not change
