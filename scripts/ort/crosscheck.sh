#!/usr/bin/env bash
# Cross-checks edge-run against ONNX Runtime (onnxruntime-node, CPU, one thread).
#
# Usage: scripts/ort/crosscheck.sh [MODEL.onnx ...]
#   Default models: every fixtures/models/*.onnx, plus $EDGE_SHARED_DIR/models/mnist-8/model.onnx
#   (EDGE_SHARED_DIR defaults to ../shared beside the repository) when present.
#   Environment: EDGE_RUN, COMPRESSOR (default build/apps/...), NODE (default node),
#   ORT_RTOL / ORT_ATOL (default 1e-4 / 1e-4), ORT_EVAL_BATCH (samples a run for models with a
#   dynamic batch dim, default 50), EDGE_REQUIRE_ORT=1 (fail instead of skipping when node or
#   onnxruntime-node is missing; .ci/run sets it).
#
# For each model:
#  1. outputs: ONNX Runtime must load and run the model, and `edge-run run` must agree with it
#     on deterministic inputs: for a fixture (fixtures/MANIFEST.json) the first 8 images of its
#     evaluation set, preprocessed as the manifest says (float32 [8,1,28,28] = pixel/255), in one
#     run; for a model with ONNX test_data_set_N/ folders beside it (mnist-8) each set's inputs.
#     Every output element must satisfy
#         |edge - ort| <= ATOL + RTOL * max|ort|       (max over the whole output tensor)
#     with RTOL = ATOL = 1e-4. Why this form and these numbers:
#       - the two runtimes sum in different orders (blocked GEMM/conv, fused ops, their own
#         exp/tanh/sigmoid), so results differ by float32 rounding. A dot product of K terms has
#         an error of about sqrt(K)..K * 2^-24 times the sum of |terms|, which is of the order
#         of the output's magnitude; for these models (K <= a few thousand) that is ~1e-6 to
#         1e-5 of max|output|, so 1e-4 leaves a 10x-100x margin;
#       - the error scales with the output's magnitude, not each element's: a logit near 0 is
#         the difference of large terms and carries the same absolute error as the largest
#         logit. A per-element rtol would flag those; a plain atol would be meaningless for
#         mnist-8, whose logits (raw 0..255 pixels in) reach ~1e4. Hence rtol * max|ort|;
#       - ATOL = 1e-4 covers outputs whose values are all near 0;
#       - a real bug (a wrong kernel, a wrong attribute, a wrong layout) moves outputs by a
#         sizeable fraction of their range, 100x or more above this bound.
#  2. accuracy: `compressor eval` and ort_run.js's eval mode on the model's evaluation set
#     (fixtures: the manifest's eval_data at scale 1/255; mnist-8: fixtures/data/mnist_eval_*.npy
#     at scale 1, i.e. raw 0..255 pixels as the model expects) must count the same number of
#     correct samples, give or take 1 (1 in 2000: a sample whose two top logits are within
#     float rounding of each other may flip).
# Prints a table and "N passed, N failed"; exit 1 on any mismatch, 77 (skip) when node or
# onnxruntime-node (npm ci --ignore-scripts in scripts/ort) is absent, 2 on bad usage.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EDGE_RUN=${EDGE_RUN:-$ROOT/build/apps/edge-run}
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
SHARED=${EDGE_SHARED_DIR:-$ROOT/../shared}
NODE=${NODE:-node}
RTOL=${ORT_RTOL:-1e-4}
ATOL=${ORT_ATOL:-1e-4}
EVAL_BATCH=${ORT_EVAL_BATCH:-50}
SAMPLES=8
MANIFEST=$ROOT/fixtures/MANIFEST.json

# skip MESSAGE: exit 77 (ctest: skipped), or 1 where EDGE_REQUIRE_ORT=1 (.ci/run sets it).
skip() {
  if [ "${EDGE_REQUIRE_ORT:-0}" = 1 ]; then echo "crosscheck: $1 (EDGE_REQUIRE_ORT=1: failed)" >&2; exit 1; fi
  echo "crosscheck: $1: skipped"
  exit 77
}
command -v "$NODE" >/dev/null 2>&1 || skip "node not found"
[ -f "$HERE/node_modules/onnxruntime-node/package.json" ] ||
  skip "onnxruntime-node not installed (cd scripts/ort && npm ci --ignore-scripts)"
for b in "$EDGE_RUN" "$COMPRESSOR"; do
  if [ ! -x "$b" ]; then echo "crosscheck: $b not found (build first, or set EDGE_RUN/COMPRESSOR)" >&2; exit 2; fi
done
if ! ort_version=$(cd "$HERE" && "$NODE" -e "process.stdout.write(require('onnxruntime-node').env.versions.node)" 2>&1); then
  echo "crosscheck: onnxruntime-node is installed but does not load: $ort_version" >&2
  exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  for m in "$ROOT"/fixtures/models/*.onnx; do [ -f "$m" ] && models+=("$m"); done
  if [ -f "$SHARED/models/mnist-8/model.onnx" ]; then
    models+=("$SHARED/models/mnist-8/model.onnx")
  elif [ "${CI:-}" = true ]; then
    echo "crosscheck: $SHARED/models/mnist-8/model.onnx not found (CI runs with ../shared)" >&2; exit 1
  else
    echo "crosscheck: $SHARED/models/mnist-8/model.onnx not found: mnist-8 not checked"
  fi
fi
if [ ${#models[@]} -eq 0 ]; then echo "crosscheck: no models (fixtures/models/*.onnx missing)" >&2; exit 2; fi

# fixture_info MODEL: "INPUT_NAME TASK X Y SCALE CHANNEL_AXIS" for a model listed in
# fixtures/MANIFEST.json (matched by file), nothing otherwise. CHANNEL_AXIS is 1 when the model
# input has one dim more than the samples ([N,1,28,28] fed from [N,28,28]).
fixture_info() {
  [ -f "$MANIFEST" ] || return 0
  "$NODE" -e '
    const path = require("path");
    const [manifest, model] = process.argv.slice(1);
    const m = JSON.parse(require("fs").readFileSync(manifest, "utf8"));
    const dir = path.dirname(manifest);
    for (const e of Object.values(m.models || {})) {
      if (path.resolve(dir, e.file) !== path.resolve(model)) continue;
      const scale = { "pixel/255": "1/255", "pixel": "1" }[e.input_scale || m.input_scale];
      if (!scale) throw new Error(`unknown input_scale ${e.input_scale}`);
      const x = Object.values(m.data || {}).find((d) => path.resolve(dir, d.file) === path.resolve(dir, e.eval_data[0]));
      const channel = x && x.shape && e.input.shape.length === x.shape.length + 1 ? 1 : 0;
      console.log([e.input.name, e.task, path.resolve(dir, e.eval_data[0]), path.resolve(dir, e.eval_data[1]), scale,
                   channel].join(" "));
    }' "$MANIFEST" "$1"
}

# json_field FIELD: one field of the JSON object on stdin.
json_field() { "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

PASSES=0
FAILS=0
rows=()
i=0
for model in "${models[@]}"; do
  i=$((i + 1))
  name=$(basename "$model" .onnx)
  [ "$name" = model ] && name=$(basename "$(dirname "$model")")
  W="$WORK/$i"
  mkdir -p "$W"
  why=""
  ok=1     # 0 once anything failed
  fatal=0  # 1 when the model cannot be run at all (no accuracy step then)
  if [ ! -f "$model" ]; then why="$model: no such file"; ok=0; fatal=1; fi

  # --- inputs ------------------------------------------------------------------------------
  sets=()  # each: one line of input specs, space separated
  evx="" evy="" scale=""
  info=""
  if [ $fatal -eq 0 ] && ! info=$(fixture_info "$model" 2>&1); then why="manifest: $info"; info=""; ok=0; fatal=1; fi
  if [ -n "$info" ]; then
    read -r in_name task evx evy scale channel <<<"$info"
    prep_args=(--count $SAMPLES --scale "$scale")
    [ "$channel" = 1 ] && prep_args+=(--channel-axis)
    if "$NODE" "$HERE/npy_tool.js" prep "$evx" "$W/in.npy" "${prep_args[@]}" 2>"$W/err"; then
      sets+=("$in_name=$W/in.npy")
    else
      why="prep: $(head -1 "$W/err")"; ok=0; fatal=1
    fi
  else
    for d in "$(dirname "$model")"/test_data_set_*/; do
      [ -d "$d" ] || continue
      specs=$(ls "$d"input_*.pb 2>/dev/null | sort -V | tr '\n' ' ')
      [ -n "$specs" ] && sets+=("$specs")
    done
    if [ "$name" = mnist-8 ] && [ -f "$ROOT/fixtures/data/mnist_eval_x.npy" ]; then
      evx=$ROOT/fixtures/data/mnist_eval_x.npy evy=$ROOT/fixtures/data/mnist_eval_y.npy scale=1
    fi
  fi
  if [ $fatal -eq 0 ] && [ ${#sets[@]} -eq 0 ]; then
    why="no inputs known (not in fixtures/MANIFEST.json, no test_data_set_N/ beside it)"; ok=0; fatal=1
  fi

  # --- outputs: edge-run vs ONNX Runtime -----------------------------------------------------
  max_abs="-" bound="-" worst=-1 nout=0 ort_loads="no"
  s=0
  for spec in "${sets[@]}"; do
    [ $fatal -eq 0 ] || break
    s=$((s + 1))
    read -r -a args <<<"$spec"
    edge_args=() ort_args=()
    for a in "${args[@]}"; do edge_args+=(--input "$a"); ort_args+=(--input "$a"); done
    if ! "$NODE" "$HERE/ort_run.js" "$model" "${ort_args[@]}" -o "$W/ort$s" >"$W/ort.log" 2>&1; then
      why="ONNX Runtime: $(tail -1 "$W/ort.log")"; ok=0; fatal=1; break
    fi
    ort_loads="yes"
    if ! "$EDGE_RUN" run "$model" "${edge_args[@]}" --output-format npy -o "$W/edge$s" >"$W/edge.log" 2>&1; then
      why="edge-run: $(tail -1 "$W/edge.log")"; ok=0; fatal=1; break
    fi
    # output_K files only (edge-run also writes each output under its own name)
    n_ort=$(ls "$W/ort$s"/output_*.npy | wc -l) n_edge=$(ls "$W/edge$s"/output_*.npy | wc -l)
    if [ "$n_ort" -ne "$n_edge" ]; then why="$n_edge edge-run outputs, $n_ort ONNX Runtime outputs"; ok=0; fatal=1; break; fi
    nout=$n_ort
    for f in "$W/ort$s"/output_*.npy; do
      k=$(basename "$f")
      res=$("$NODE" "$HERE/npy_tool.js" compare "$f" "$W/edge$s/$k" --rtol "$RTOL" --atol "$ATOL" 2>&1)
      rc=$?
      if [ $rc -eq 2 ] || ! printf '%s' "$res" | grep -q '"max_abs"'; then why="set $s ${k%.npy}: $res"; ok=0; fatal=1; break; fi
      d=$(printf '%s' "$res" | json_field max_abs) b=$(printf '%s' "$res" | json_field bound)
      # keep the (max_abs, bound) pair closest to failing: largest max_abs / bound
      if [ "$max_abs" = "-" ] || awk -v d="$d" -v b="$b" -v D="$max_abs" -v B="$bound" 'BEGIN{exit !(d/b > D/B)}'; then
        max_abs=$d bound=$b
      fi
      if [ $rc -ne 0 ] && [ -z "$why" ]; then
        why="set $s ${k%.npy}: max|diff| $d > tolerance $b at element $(printf '%s' "$res" | json_field worst_index)"
        ok=0
      fi
    done
  done

  # --- accuracy: compressor eval vs ONNX Runtime ---------------------------------------------
  edge_top1="-" ort_top1="-"
  if [ $fatal -eq 0 ] && [ -n "$evx" ]; then
    if ! "$COMPRESSOR" eval "$model" --data "$evx" --labels "$evy" --scale "$scale" --batch "$EVAL_BATCH" \
         --format json >"$W/edge_eval.json" 2>"$W/edge_eval.err"; then
      why="${why:+$why; }compressor eval: $(tail -1 "$W/edge_eval.err")"; ok=0
    elif ! "$NODE" "$HERE/ort_run.js" "$model" --eval-x "$evx" --eval-y "$evy" --scale "$scale" --batch "$EVAL_BATCH" \
         >"$W/ort_eval.json" 2>"$W/ort_eval.err"; then
      why="${why:+$why; }ONNX Runtime eval: $(tail -1 "$W/ort_eval.err")"; ok=0
    else
      e_n=$(json_field samples <"$W/edge_eval.json") e_top1=$(json_field top1 <"$W/edge_eval.json")
      o_n=$(json_field samples <"$W/ort_eval.json") o_correct=$(json_field correct <"$W/ort_eval.json")
      o_top1=$(json_field top1 <"$W/ort_eval.json")
      e_correct=$(awk -v t="$e_top1" -v n="$e_n" 'BEGIN{printf "%d", t * n + 0.5}')
      edge_top1=$(awk -v t="$e_top1" 'BEGIN{printf "%.4f", t}')
      ort_top1=$(awk -v t="$o_top1" 'BEGIN{printf "%.4f", t}')
      diff=$((e_correct - o_correct)); diff=${diff#-}
      edge_top1="$edge_top1 ($e_correct/$e_n)" ort_top1="$ort_top1 ($o_correct/$o_n)"
      if [ "$e_n" != "$o_n" ]; then why="${why:+$why; }samples: compressor $e_n, ONNX Runtime $o_n"; ok=0
      elif [ "$diff" -gt 1 ]; then why="${why:+$why; }top-1 differs by $diff samples of $e_n"; ok=0; fi
    fi
  fi

  if [ $ok -eq 1 ]; then PASSES=$((PASSES + 1)); result=PASS; else FAILS=$((FAILS + 1)); result="FAIL: $why"; fi
  fmt() { [ "$1" = "-" ] && echo "-" || awk -v v="$1" 'BEGIN{printf "%.3g", v}'; }
  rows+=("$(printf '%-16s %-8s %-5s %-11s %-11s %-20s %-20s %s' "$name" "$ort_loads" "${#sets[@]}x$nout" \
    "$(fmt "$max_abs")" "$(fmt "$bound")" "$edge_top1" "$ort_top1" "$result")")
done

echo "edge-run vs ONNX Runtime (onnxruntime-node $ort_version, CPU, 1 thread); |edge-ort| <= $ATOL + $RTOL*max|ort|"
printf '%-16s %-8s %-5s %-11s %-11s %-20s %-20s %s\n' model ort-load runs max\|diff\| tolerance \
  "top1 edge-run" "top1 ORT" result
for r in "${rows[@]}"; do echo "$r"; done
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
