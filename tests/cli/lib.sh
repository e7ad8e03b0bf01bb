# Helpers for CLI tests. Expects EDGE_RUN, COMPRESSOR, TEXT2ONNX in the environment.
set -u
FAILS=0
PASSES=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ok() { PASSES=$((PASSES + 1)); echo "ok: $1"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL: $1"; }

# expect_error CODE PATTERN DESCRIPTION -- command...
# Runs the command; requires exit CODE, exactly one line on stderr, matching PATTERN.
expect_error() {
  local code=$1 pattern=$2 desc=$3
  shift 4
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  local lines
  lines=$(printf '%s' "$err" | grep -c '')
  if [ "$rc" -ne "$code" ]; then bad "$desc: exit $rc, expected $code ($err)"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$desc: $lines stderr lines, expected 1: $err"; return; fi
  if ! printf '%s' "$err" | grep -qE -- "$pattern"; then bad "$desc: '$err' does not match /$pattern/"; return; fi
  ok "$desc"
}

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

# require_ort: ONNX Runtime (node + scripts/ort/node_modules) for cross-checks. Missing, the
# test is skipped (exit 77, EDGE-SKIP) — or fails where EDGE_REQUIRE_ORT=1 (.ci/run sets it).
# Sets ORT_RUN (ort_run.js) and NPY_TOOL (npy_tool.js) for `node "$ORT_RUN" ...`.
require_ort() {
  local dir="$EDGE_SOURCE_DIR/scripts/ort" why=""
  command -v node >/dev/null 2>&1 || why="node not found"
  [ -n "$why" ] || [ -f "$dir/node_modules/onnxruntime-node/package.json" ] ||
    why="onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts)"
  if [ -n "$why" ]; then
    if [ "${EDGE_REQUIRE_ORT:-0}" = 1 ]; then echo "FAIL: $why (EDGE_REQUIRE_ORT=1)"; exit 1; fi
    echo "EDGE-SKIP: $why"
    exit 77
  fi
  ORT_RUN="$dir/ort_run.js"
  NPY_TOOL="$dir/npy_tool.js"
}
