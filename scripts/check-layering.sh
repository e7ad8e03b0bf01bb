#!/usr/bin/env bash
# Layering check: every #include in lib/ must point down the module stack or stay inside its
# own module. apps/, tests/ and bench/ may include anything; lib/ never includes them.
#
#   ir ◀── runtime ◀── data ◀── calib, train ◀── pass ◀── passes
#    ▲                                            │
#    └──── report ◀───────────────────────────────┘
#
# (report depends on ir only; pass builds report::StageRecord rows, so report sits below it.)
# search (compressor search) sits on top of passes and may include everything below it.
# capi (the C API, edge_run.h) is an app-level layer over runtime: nothing under lib/ includes it.
# A module under lib/ that is not in the table below is an error too: add it where it belongs.
#
# Usage: scripts/check-layering.sh [ROOT]   (default: this repository)
# Prints one "file:line: ..." per bad include and exits 1; exits 0 when all are fine.
set -euo pipefail
ROOT=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$ROOT"

# module -> the modules it may include (besides itself)
declare -A ALLOWED=(
  [ir]=""
  [runtime]="ir"
  [report]="ir"
  [data]="ir runtime"
  [calib]="ir runtime data"
  [train]="ir runtime data"
  [pass]="ir runtime data calib train report"
  [passes]="ir runtime data calib train report pass"
  [search]="ir runtime data calib train report pass passes"
  [capi]="ir runtime"  # the C API (edge_run.h): an app-level layer over runtime::Session
)

bad=0
files=0
declare -A reported_module=()
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"]'

while IFS= read -r -d '' file; do
  files=$((files + 1))
  rel=${file#./}
  module=${rel#lib/}
  module=${module%%/*}
  if [ -z "${ALLOWED[$module]+set}" ]; then
    if [ -z "${reported_module[$module]+set}" ]; then
      echo "lib/$module: module '$module' is not in the layer table of scripts/check-layering.sh"
      reported_module[$module]=1
      bad=$((bad + 1))
    fi
    continue
  fi
  lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [[ $line =~ $include_re ]] || continue
    delim=${BASH_REMATCH[1]}
    target=${BASH_REMATCH[2]}
    to=""
    # A quoted include relative to the including file ("graph_edit.h", "../x.h").
    if [ "$delim" = '"' ] && { [[ $target == ../* || $target == ./* ]] || [ -e "$(dirname "$rel")/$target" ]; }; then
      resolved=$(realpath -m --relative-to="$ROOT" "$(dirname "$rel")/$target")
      case $resolved in
        lib/*) to=${resolved#lib/}; to=${to%%/*} ;;
        ../*) continue ;;  # outside the repository
        *) to="@${resolved%%/*}" ;;
      esac
    else
      first=${target%%/*}
      [ "$first" = "$target" ] && continue  # <vector>, "foo.h" from an include path
      if [ -n "${ALLOWED[$first]+set}" ]; then
        to=$first
      elif [ "$first" = apps ] || [ "$first" = tests ] || [ "$first" = bench ]; then
        to="@$first"
      else
        continue  # third party: onnx/, spdlog/, nlohmann/, ...
      fi
    fi
    [ "$to" = "$module" ] && continue
    case " ${ALLOWED[$module]} " in *" $to "*) continue ;; esac
    if [ "${to:0:1}" = "@" ]; then
      echo "$rel:$lineno: lib/$module includes $target from ${to#@}/ (library code may not include apps, tests or bench)"
    else
      echo "$rel:$lineno: $module includes $target, but $to is not below $module" \
        "($module may include: ${ALLOWED[$module]:-nothing else})"
    fi
    bad=$((bad + 1))
  done < "$file"
done < <(find ./lib -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \
                             -o -name '*.def' -o -name '*.inc' \) -print0 | sort -z)

if [ "$bad" -gt 0 ]; then
  echo "check-layering: $bad include(s) point up the module stack (see scripts/check-layering.sh)"
  exit 1
fi
echo "check-layering: ok ($files files under lib/)"
