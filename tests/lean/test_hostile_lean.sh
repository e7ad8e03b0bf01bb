#!/usr/bin/env bash
# The hostile-model corpus (tests/hostile/cases.txt) through the runtime-only edge-run: every
# case must exit 2 with one line on stderr, write no output, and leave the corpus untouched.
# The line must match the case's regex, or the lean build's own regex from
# tests/lean/hostile-lean.txt for the cases whose message came from the ONNX checker (the
# lean build refuses them with our structural checks or the kernels' own validation).
# EDGE_RUN_EMULATOR (qemu-aarch64 in a cross build) prefixes every run when set.
. "$(dirname "$0")/../cli/lib.sh"
H="$EDGE_SOURCE_DIR/tests/hostile"
LEAN="$EDGE_SOURCE_DIR/tests/lean/hostile-lean.txt"
trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<< "$1"; }
sum_inputs() { find "$H" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; }
before=$(sum_inputs)
# shellcheck disable=SC2206
RUN=(${EDGE_RUN_EMULATOR:-} "$EDGE_RUN")

lean_regex() {  # lean_regex FILE ARGS: the override for this case, or nothing
  local f a r
  while IFS='|' read -r f a r; do
    f=$(trim "$f"); a=$(trim "$a"); r=$(trim "$r")
    [ -z "$f" ] || [ "${f:0:1}" = "#" ] && continue
    if [ "$f" = "$1" ] && [ "$a" = "$2" ]; then printf '%s' "$r"; return; fi
  done < "$LEAN"
}

cases=0
while IFS='|' read -r file args regex; do
  file=$(trim "$file"); args=$(trim "$args"); regex=$(trim "$regex")
  [ -z "$file" ] || [ "${file:0:1}" = "#" ] && continue
  override=$(lean_regex "$file" "$args")
  [ -n "$override" ] && regex=$override
  args=${args//\{\}/$H}
  if [ -z "$args" ]; then args="--random"; fi
  out="$WORK/out-$file"
  # shellcheck disable=SC2086
  expect_error 2 "$regex" "lean edge-run run $file $args" -- "${RUN[@]}" run "$H/models/$file" $args -o "$out"
  [ ! -e "$out" ] && ok "no output for $file" || bad "output written for $file"
  cases=$((cases + 1))
done < "$H/cases.txt"
[ "$cases" -ge 40 ] && ok "$cases corpus cases run" || bad "only $cases corpus cases found"

# Every override names a case that exists (a stale one would hide nothing and mean nothing).
while IFS='|' read -r f a r; do
  f=$(trim "$f"); a=$(trim "$a")
  [ -z "$f" ] || [ "${f:0:1}" = "#" ] && continue
  grep -qE "^$f *\| *${a//\{/\\\{} *\|" "$H/cases.txt" && ok "override for $f matches a case" \
    || bad "override for $f $a matches no case of cases.txt"
done < "$LEAN"

[ "$(sum_inputs)" = "$before" ] && ok "corpus files untouched" || bad "corpus files changed"
finish
