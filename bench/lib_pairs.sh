# What the paired model benchmarks (int8_vs_float.sh, sparse_vs_dense.sh) share: settings from
# the environment, the default model list, and medians of edge-run and ONNX Runtime
# (bench/ort_bench.js) runs. Source it from the repository root with WORK_NAME set.
#   env: RUNS=1000 ROUNDS=3 THREADS=1 WORK=build/$WORK_NAME COMPRESSOR EDGE_RUN SHARED
ROOT=$PWD
RUNS=${RUNS:-1000}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
WORK=${WORK:-$ROOT/build/$WORK_NAME}
COMPRESSOR=${COMPRESSOR:-$ROOT/build/apps/compressor}
EDGE_RUN=${EDGE_RUN:-$ROOT/build/apps/edge-run}
SHARED=${SHARED:-$ROOT/../shared}
mkdir -p "$WORK"
DEFAULT_MODELS=(gru-tiny lenet5 mlp-300-100 mobilenet-tiny resnet8 transformer-tiny mnist-8)

median_of() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The JSON is captured first and parsed after the run: a parser started in the same pipeline
# starts up (tens of ms of CPU) while the timed runs go, and takes a core from a 2-thread run.
latency_median() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["latency_ms"]["median"])' "$1"; }
edge_ms() {
  local out
  out=$("$EDGE_RUN" bench "$1" --runs "$RUNS" --warmup 50 --threads "$THREADS" --format json) && latency_median "$out"
}
ort_ms() {
  local out
  out=$(node bench/ort_bench.js "$1" --runs "$RUNS" --warmup 50 --threads "$THREADS" 2>/dev/null) && latency_median "$out"
}
