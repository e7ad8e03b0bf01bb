#!/usr/bin/env bash
# scripts/check-layering.sh: passes on a copy of lib/, then fails (exit 1, naming file:line)
# once an include points up the stack, into apps/, or from a module it does not know.
. "$(dirname "$0")/lib.sh"
CHECK="$EDGE_SOURCE_DIR/scripts/check-layering.sh"
cp -r "$EDGE_SOURCE_DIR/lib" "$WORK/lib"

run_check() { out=$(bash "$CHECK" "$WORK" 2>&1); rc=$?; }
run_check
[ $rc -eq 0 ] && ok "a copy of lib/ passes" || bad "the copy of lib/ fails (rc $rc): $out"

# expect_violation DESCRIPTION FILE LINE PATTERN: the check exits 1 naming FILE:LINE.
expect_violation() {
  run_check
  if [ $rc -ne 1 ]; then bad "$1: exit $rc, expected 1: $out"; return; fi
  if ! printf '%s\n' "$out" | grep -qE "^$2:$3: .*$4"; then bad "$1: no '$2:$3: ...$4' in: $out"; return; fi
  ok "$1"
}

f=lib/ir/dtype.cc
cp "$WORK/$f" "$WORK/$f.orig"
sed -i '2i #include "pass/pass.h"' "$WORK/$f"
expect_violation "ir including pass" "$f" 2 "pass is not below ir"
mv "$WORK/$f.orig" "$WORK/$f"

f=lib/runtime/session.h
cp "$WORK/$f" "$WORK/$f.orig"
sed -i '3i #include <data/npy.h>' "$WORK/$f"
expect_violation "runtime including data (angle brackets)" "$f" 3 "data is not below runtime"
mv "$WORK/$f.orig" "$WORK/$f"

f=lib/report/report.h
cp "$WORK/$f" "$WORK/$f.orig"
sed -i '3i #include "../pass/context.h"' "$WORK/$f"
expect_violation "report including pass by a relative path" "$f" 3 "pass is not below report"
mv "$WORK/$f.orig" "$WORK/$f"

f=lib/data/npy.h
cp "$WORK/$f" "$WORK/$f.orig"
sed -i '3i #include "apps/common/app_util.h"' "$WORK/$f"
expect_violation "lib including apps" "$f" 3 "may not include apps"
mv "$WORK/$f.orig" "$WORK/$f"

mkdir -p "$WORK/lib/mystery"
echo '#include "ir/tensor.h"' > "$WORK/lib/mystery/x.h"
run_check
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "module 'mystery' is not in the layer table" &&
  ok "an unknown module is an error" || bad "unknown module: rc $rc: $out"
rm -r "$WORK/lib/mystery"

run_check
[ $rc -eq 0 ] && ok "passes again once restored" || bad "restored copy fails: $out"
finish
