#!/usr/bin/env bash
# Latency of edge-run against ONNX Runtime (onnxruntime-node, bench/ort_bench.js) on torchvision
# models exported by PyTorch (scripts/export_torchvision.py: random seeded weights, opset 17,
# dynamic batch run at 1), float and int8 QDQ (quantized by our compressor: quantize-static,
# calibrated on 16 seeded random images), at 1 and 2 threads, measured in the same run.
# For each model, variant and thread count: ROUNDS rounds of (ORT, edge-run) back to back, each
# RUNS timed inferences after WARMUP untimed ones on the same random inputs; prints per row the
# median of the rounds' medians and of their p99s for both, and the ratio edge-run/ORT of the
# medians. GMAC/s is the model's multiply-accumulates (compressor inspect) per median second.
# Exports and quantized files are cached in $CACHE (default build/torchvision) and redone when
# missing or older than the export script or the compressor.
#
#   bench/vs_ort_torchvision.sh                    (mobilenet_v2 resnet18, 224x224)
#   env: MODELS="mobilenet_v2 resnet18" SIZE=224 RUNS=30 WARMUP=5 ROUNDS=3 THREADS="1 2"
#        VARIANTS="float int8" EDGE_RUN=build/apps/edge-run COMPRESSOR=build/apps/compressor
#        CACHE=build/torchvision FORMAT=md|text
# Exit 77 when torch/torchvision or onnxruntime-node is missing, 2 on a failed export/quantize.
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${MODELS:-"mobilenet_v2 resnet18"}
SIZE=${SIZE:-224}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-5}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
VARIANTS=${VARIANTS:-"float int8"}
EDGE_RUN=${EDGE_RUN:-build/apps/edge-run}
COMPRESSOR=${COMPRESSOR:-build/apps/compressor}
CACHE=${CACHE:-build/torchvision}
FORMAT=${FORMAT:-md}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if ! "$PY" -c "import torch, torchvision" >/dev/null 2>&1; then
  echo "vs_ort_torchvision: torch/torchvision not importable by $PY (apt install python3-torch python3-torchvision)" >&2
  exit 77
fi
if ! node -e "require('./scripts/ort/node_modules/onnxruntime-node')" >/dev/null 2>&1; then
  echo "vs_ort_torchvision: onnxruntime-node missing (cd scripts/ort && npm ci --ignore-scripts)" >&2
  exit 77
fi
mkdir -p "$CACHE"
stale() {  # FILE DEPS...: true when FILE is missing or older than a dependency
  [ -f "$1" ] || return 0
  local d
  for d in "${@:2}"; do [ "$d" -nt "$1" ] && return 0; done
  return 1
}
calib="$CACHE/input-$SIZE-b16.npy"
for m in $MODELS; do
  f="$CACHE/$m-op17-$SIZE.onnx"
  if stale "$f" scripts/export_torchvision.py || stale "$calib" scripts/export_torchvision.py; then
    echo "exporting $m ($SIZE x $SIZE) into $CACHE" >&2
    "$PY" scripts/export_torchvision.py "$CACHE" --models "$m" --size "$SIZE" --opsets 17 --inputs 16 >/dev/null ||
      { echo "vs_ort_torchvision: export of $m failed" >&2; exit 2; }
  fi
  q="$CACHE/$m-op17-$SIZE-int8.onnx"
  if [[ " $VARIANTS " == *" int8 "* ]] && stale "$q" "$f" "$COMPRESSOR"; then
    echo "quantizing $m (quantize-static, QDQ)" >&2
    "$COMPRESSOR" compress "$f" -o "$q" --passes "fold-constants,remove-identity,eliminate-dead,quantize-static" \
      --calib-data "$calib" --batch 4 --no-calib-cache -q >/dev/null ||
      { echo "vs_ort_torchvision: quantizing $m failed" >&2; exit 2; }
  fi
done

field() {  # KEY: reads a bench JSON line on stdin, prints latency_ms[KEY]
  "$PY" -c "import json,sys; print(json.load(sys.stdin)['latency_ms']['$1'])"
}
median_of() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ "$FORMAT" = md ]; then
  echo -n "| model | variant | threads | ORT median ms | ORT p99 ms | edge-run median ms | edge-run p99 ms "
  echo "| ratio (median) | edge-run GMAC/s |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
else
  printf '%-14s %-7s %7s %10s %10s %10s %10s %7s %8s\n' \
    model variant threads ort_med ort_p99 edge_med edge_p99 ratio GMAC/s
fi
for m in $MODELS; do
  macs=$("$COMPRESSOR" inspect "$CACHE/$m-op17-$SIZE.onnx" --format json |
    "$PY" -c "import json,sys; print(json.load(sys.stdin)['totals']['macs'])")
  for v in $VARIANTS; do
    f="$CACHE/$m-op17-$SIZE.onnx"
    [ "$v" = int8 ] && f="$CACHE/$m-op17-$SIZE-int8.onnx"
    for t in $THREADS; do
      om=() op=() em=() ep=()
      for _ in $(seq 1 "$ROUNDS"); do
        o=$(node bench/ort_bench.js "$f" --runs "$RUNS" --warmup "$WARMUP" --threads "$t")
        e=$("$EDGE_RUN" bench "$f" --runs "$RUNS" --warmup "$WARMUP" --threads "$t" --format json)
        om+=("$(field median <<<"$o")") op+=("$(field p99 <<<"$o")")
        em+=("$(field median <<<"$e")") ep+=("$(field p99 <<<"$e")")
      done
      read -r row < <("$PY" -c "
om, op = $(median_of "${om[@]}"), $(median_of "${op[@]}")
em, ep, macs = $(median_of "${em[@]}"), $(median_of "${ep[@]}"), $macs
print(f'{om:.2f} {op:.2f} {em:.2f} {ep:.2f} {em / om:.2f} {macs / (em / 1e3) / 1e9:.1f}')")
      read -r a b c d r g <<<"$row"
      if [ "$FORMAT" = md ]; then
        echo "| $m | $v | $t | $a | $b | $c | $d | $r | $g |"
      else
        printf '%-14s %-7s %7s %10s %10s %10s %10s %7s %8s\n' "$m" "$v" "$t" "$a" "$b" "$c" "$d" "$r" "$g"
      fi
    done
  done
done
echo "($RUNS runs after $WARMUP warm-up, median of $ROUNDS rounds; batch 1, ${SIZE}x${SIZE};" \
  "$(date -u '+%Y-%m-%d %H:%M') UTC; $(nproc) hardware threads; load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
