#!/usr/bin/env bash
# Runs every case of tests/hostile/cases.txt through edge-run (and compressor inspect for
# model-level cases): exit 2, one clear line, no output file, inputs untouched.
. "$(dirname "$0")/lib.sh"
H="$EDGE_SOURCE_DIR/tests/hostile"
sum_inputs() { find "$H" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; }
before=$(sum_inputs)
while IFS='|' read -r file args regex; do
  file=$(echo "$file" | xargs); args=$(echo "$args" | xargs); regex=$(echo "$regex" | sed 's/^ *//; s/ *$//')
  [ -z "$file" ] || [ "${file:0:1}" = "#" ] && continue
  args=${args//\{\}/$H}
  if [ -z "$args" ]; then args="--random"; fi
  out="$WORK/out-$file"
  # shellcheck disable=SC2086
  expect_error 2 "$regex" "edge-run run $file $args" -- "$EDGE_RUN" run "$H/models/$file" $args -o "$out"
  [ ! -e "$out" ] && ok "no output for $file" || bad "output written for $file"
  if [ "$args" = "--random" ] && [ "$file" != "mixed-dtypes.onnx" ] && [ "$file" != "huge-input-dims.onnx" ] \
     && [ "$file" != "unknown-domain.onnx" ] && [ "$file" != "deep-subgraphs.onnx" ] && [ "${file:0:5}" != "conv-" ]; then
    # Load-time failures are the same for every tool.
    expect_error 2 "$regex" "compressor inspect $file" -- "$COMPRESSOR" inspect "$H/models/$file"
  fi
done < "$H/cases.txt"
leftovers=$(find "$H" -name '.*.tmp-*' | wc -l)
[ "$leftovers" -eq 0 ] && ok "no temporary files left" || bad "$leftovers temporary files left"
[ "$(sum_inputs)" = "$before" ] && ok "corpus files untouched" || bad "corpus files changed"
finish
