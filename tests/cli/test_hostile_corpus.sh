#!/usr/bin/env bash
# Runs every case of tests/hostile/cases.txt through edge-run (and compressor inspect for
# model-level cases) and of tests/hostile/data-cases.txt through compressor eval: exit 2, one
# clear line, no output file, inputs untouched, and a peak RSS below 100 MB (every corpus file
# is under 1 MB; sizes claimed by headers are checked before anything is allocated). Models
# with invalid UTF-8 names give valid JSON.
. "$(dirname "$0")/lib.sh"
H="$EDGE_SOURCE_DIR/tests/hostile"
trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<< "$1"; }
sum_inputs() { find "$H" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; }
before=$(sum_inputs)

# Peak RSS allowed per run; AddressSanitizer (scripts/test-sanitizers.sh) adds its own overhead.
MAX_RSS_KB=$((100 * 1024))
[ -n "${ASAN_OPTIONS:-}" ] && MAX_RSS_KB=$((300 * 1024))
# measured CMD...: runs CMD, its address space capped at 2 GiB (except under ASan, which
# reserves terabytes) so that a regression fails instead of exhausting the machine, and
# writes its peak RSS (KB) to $WORK/rss.
measured() {
  python3 - "$WORK/rss" "$@" <<'PY'
import os, resource, subprocess, sys
def cap():
    if not os.environ.get("ASAN_OPTIONS"):
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
rc = subprocess.run(sys.argv[2:], preexec_fn=cap).returncode
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc if rc >= 0 else 128 - rc)
PY
}
check_rss() {
  local rss
  rss=$(cat "$WORK/rss" 2>/dev/null || echo 0)
  [ "$rss" -gt 0 ] && [ "$rss" -lt "$MAX_RSS_KB" ] && ok "$1: peak RSS $((rss / 1024)) MB" \
    || bad "$1: peak RSS ${rss} KB (limit $MAX_RSS_KB KB)"
}

while IFS='|' read -r file args regex; do
  file=$(trim "$file"); args=$(trim "$args"); regex=$(trim "$regex")
  [ -z "$file" ] || [ "${file:0:1}" = "#" ] && continue
  args=${args//\{\}/$H}
  if [ -z "$args" ]; then args="--random"; fi
  out="$WORK/out-$file"
  # shellcheck disable=SC2086
  expect_error 2 "$regex" "edge-run run $file $args" -- measured "$EDGE_RUN" run "$H/models/$file" $args -o "$out"
  check_rss "edge-run run $file $args"
  [ ! -e "$out" ] && ok "no output for $file" || bad "output written for $file"
  if [ "$args" = "--random" ] && [ "$file" != "mixed-dtypes.onnx" ] && [ "$file" != "huge-input-dims.onnx" ] \
     && [ "$file" != "unknown-domain.onnx" ] && [ "$file" != "custom-op-shape.onnx" ] \
     && [ "$file" != "deep-subgraphs.onnx" ] && [ "${file:0:5}" != "conv-" ]; then
    # Load-time failures are the same for every tool.
    expect_error 2 "$regex" "compressor inspect $file" -- measured "$COMPRESSOR" inspect "$H/models/$file"
    check_rss "compressor inspect $file"
  fi
  if [ "${file:0:11}" = "huge-claim-" ]; then
    expect_error 2 "$regex" "edge-run bench $file" -- measured "$EDGE_RUN" bench "$H/models/$file" --runs 1 --warmup 0
    check_rss "edge-run bench $file"
  fi
done < "$H/cases.txt"

# A model that is valid until it runs loads in inspect (ONNX 1.12's inference used to crash on it).
measured "$COMPRESSOR" inspect "$H/models/custom-op-shape.onnx" >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && ok "compressor inspect custom-op-shape.onnx loads (no crash in shape inference)" \
  || bad "compressor inspect custom-op-shape.onnx: exit $rc"

# Datasets: "MODEL | EVAL ARGS | REGEX" ({} = tests/hostile).
while IFS='|' read -r file args regex; do
  file=$(trim "$file"); args=$(trim "$args"); regex=$(trim "$regex")
  [ -z "$file" ] || [ "${file:0:1}" = "#" ] && continue
  args=${args//\{\}/$H}
  # shellcheck disable=SC2086
  expect_error 2 "$regex" "compressor eval $file $args" -- measured "$COMPRESSOR" eval "$H/models/$file" $args
  check_rss "compressor eval $args"
done < "$H/data-cases.txt"

# Invalid UTF-8 in the producer, graph and node names: JSON stays valid (U+FFFD in place).
names="$H/models/invalid-utf8-names.onnx"
check_json() {  # check_json DESCRIPTION PYTHON-ASSERTION -- command...
  local desc=$1 assertion=$2 json rc
  shift 3
  json=$("$@" 2>"$WORK/json-err"); rc=$?
  if [ "$rc" -ne 0 ]; then bad "$desc: exit $rc ($(cat "$WORK/json-err"))"; return; fi
  printf '%s' "$json" | python3 -c "import json, sys; j = json.load(sys.stdin); assert $assertion, j" \
    && ok "$desc" || bad "$desc: invalid JSON or missing U+FFFD"
}
check_json "inspect --format json with invalid UTF-8 names" \
  "'\ufffd' in j['producer']['name'] and '\ufffd' in j['graph_name']" -- "$COMPRESSOR" inspect "$names" --format json
check_json "bench --format json --profile with invalid UTF-8 names" \
  "all('\ufffd' in n['name'] for n in j['profile']['by_node'])" -- \
  "$EDGE_RUN" bench "$names" --format json --profile --runs 2 --warmup 0

leftovers=$(find "$H" -name '.*.tmp-*' | wc -l)
[ "$leftovers" -eq 0 ] && ok "no temporary files left" || bad "$leftovers temporary files left"
[ "$(sum_inputs)" = "$before" ] && ok "corpus files untouched" || bad "corpus files changed"
finish
