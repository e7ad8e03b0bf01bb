#!/usr/bin/env bash
# check_exports.sh LIB.so edge_run.h: the library's dynamic symbols are exactly the functions
# declared in the header (no C++ symbols of the runtime, onnx or protobuf leak out).
set -euo pipefail
declared=$(grep -o 'edge_run_[a-z_]*(' "$2" | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' | sort -u)
if [ "$declared" != "$exported" ]; then
  echo "exported symbols differ from edge_run.h:"
  diff <(echo "$declared") <(echo "$exported") || true
  exit 1
fi
echo "exports ok: $(echo "$exported" | wc -l) edge_run_* functions, nothing else"
