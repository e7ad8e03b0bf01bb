#!/usr/bin/env bash
# Measured targets of prune-channels (docs/pruning.md, "Channel pruning"): for resnet8 and
# mobilenet-tiny (fixtures/models, Fashion-MNIST) at 30 % and 50 % of the channels removed,
# prints a Markdown table:
#   params, MACs and file size before -> after (compressor inspect), top-1 on the labelled
#   eval set before -> after (edge-run, no fine-tuning), the share of eval samples where
#   edge-run and ONNX Runtime give the same top-1 on the pruned model, and the largest
#   |edge-run - ONNX Runtime| logit difference on the first 200 eval samples.
#
# Usage: bench/prune_channels_targets.sh [MODEL_NAME ...]   (default: resnet8 mobilenet-tiny)
#   Environment: COMPRESSOR, EDGE_RUN, NODE (default node), RATIOS (default "0.3 0.5"),
#   CRITERIA (default "l1"; e.g. "l1 l2 sensitivity"), EVAL_BATCH (default 50).
# ORT columns read "n/a" when node or scripts/ort/node_modules is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
EDGE_RUN=${EDGE_RUN:-$ROOT/build/apps/edge-run}
NODE=${NODE:-node}
RATIOS=${RATIOS:-0.3 0.5}
CRITERIA=${CRITERIA:-l1}
EVAL_BATCH=${EVAL_BATCH:-50}
ORT=$ROOT/scripts/ort
for b in "$COMPRESSOR" "$EDGE_RUN"; do
  [ -x "$b" ] || { echo "prune_channels_targets: $b not found (build first)" >&2; exit 2; }
done
have_ort=0
[ -f "$ORT/node_modules/onnxruntime-node/package.json" ] && command -v "$NODE" >/dev/null && have_ort=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
D=$ROOT/fixtures/data
X=$D/fashion_eval_x.npy Y=$D/fashion_eval_y.npy C=$D/fashion_calib_x.npy

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(resnet8 mobilenet-tiny)

totals() {  # params macs file_size of a model
  "$COMPRESSOR" inspect "$1" --format json |
    python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["params"], t["macs"], t["file_size"])'
}
top1() {
  "$COMPRESSOR" eval "$1" --data "$X" --labels "$2" --scale 1/255 --batch "$EVAL_BATCH" --format json |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])'
}
pct() { python3 -c "print('%.1f' % (100.0 * $1 / $2))"; }
human() { python3 -c "n=$1; print('%.2fM' % (n/1e6) if n >= 1e6 else '%.1fk' % (n/1e3))"; }

if [ $have_ort = 1 ]; then
  "$NODE" "$ORT/npy_tool.js" prep "$X" "$WORK/in.npy" --count 200 --scale 1/255 --channel-axis >/dev/null
fi

echo "| model | ratio | criterion | params | MACs | file size | top-1 before -> after | edge-run = ORT top-1 | max abs diff edge-run vs ORT |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in "${names[@]}"; do
  M=$ROOT/fixtures/models/$name.onnx
  read -r p0 m0 s0 <<<"$(totals "$M")"
  t0=$(top1 "$M" "$Y")
  for crit in $CRITERIA; do
    for r in $RATIOS; do
      out=$WORK/$name-$crit-$r.onnx
      calib=()
      [ "$crit" = sensitivity ] && calib=(--calib-data "$C")
      if ! "$COMPRESSOR" compress "$M" -o "$out" --passes "prune-channels<ratio=$r,criterion=$crit>" \
        ${calib[@]+"${calib[@]}"} --scale 1/255 --batch "$EVAL_BATCH" -q 2>"$WORK/err"; then
        echo "| $name | $r | $crit | failed: $(head -1 "$WORK/err") | | | | | |"
        continue
      fi
      read -r p1 m1 s1 <<<"$(totals "$out")"
      t1=$(top1 "$out" "$Y")
      agree=n/a diff=n/a
      if [ $have_ort = 1 ]; then
        "$NODE" "$ORT/ort_run.js" "$out" --eval-x "$X" --eval-y "$Y" --scale 1/255 --batch "$EVAL_BATCH" \
          --predictions "$WORK/ort.npy" >/dev/null 2>&1 && agree=$(top1 "$out" "$WORK/ort.npy")
        rm -rf "$WORK/o" "$WORK/e"
        if "$NODE" "$ORT/ort_run.js" "$out" --input "$WORK/in.npy" -o "$WORK/o" >/dev/null 2>&1 &&
          "$EDGE_RUN" run "$out" --input "$WORK/in.npy" --output-format npy -o "$WORK/e" >/dev/null 2>&1; then
          diff=$("$NODE" "$ORT/npy_tool.js" compare "$WORK/o/output_0.npy" "$WORK/e/output_0.npy" --atol 1e-3 |
            python3 -c 'import json,sys; print("%.2e" % json.load(sys.stdin)["max_abs"])')
        fi
      fi
      echo "| $name | $r | $crit | $(human $p0) -> $(human $p1) ($(pct $p1 $p0) %) | $(human $m0) -> $(human $m1) ($(pct $m1 $m0) %) | $((s0 / 1024)) -> $((s1 / 1024)) KiB ($(pct $s1 $s0) %) | $t0 -> $t1 | $agree | $diff |"
    done
  done
done
