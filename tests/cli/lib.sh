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
