#!/usr/bin/env bash
# examples/make: first `make` builds every model, a second does nothing, touching the
# recipe rebuilds.
. "$(dirname "$0")/lib.sh"
command -v make >/dev/null || { echo "make not installed: skipped"; exit 77; }
EX="$EDGE_SOURCE_DIR/examples/make"
cp "$EX/Makefile" "$EX/cleanup.yaml" "$WORK/"
cd "$WORK"
args=(ROOT="$EDGE_SOURCE_DIR" COMPRESSOR="$COMPRESSOR" OUT="$WORK/out")
make -s "${args[@]}" >/dev/null 2>&1 && ok "first make builds" || bad "first make failed"
n=$(ls out/*.onnx 2>/dev/null | wc -l)
[ "$n" -eq 3 ] && ok "three models built" || bad "$n models built"
out=$(make "${args[@]}" 2>&1)
echo "$out" | grep -q "Nothing to be done" && ok "second make does nothing" || bad "second make rebuilt: $out"
sleep 1.1
touch cleanup.yaml
out=$(make "${args[@]}" 2>&1)
[ "$(echo "$out" | grep -c 'compress')" -eq 3 ] && ok "touching the recipe rebuilds all" || bad "rebuild after touch: $out"
finish
