#!/usr/bin/env bash
# compressor search on lenet5 with 100 samples, first with a budget of 4 candidates: pareto.json fields, the best
# model's top-1 by ONNX Runtime, front recipes rerun by `compressor compress --recipe` to the
# same bytes, resume (nothing measured again), exit 1 with the closest, exit 2 for bad input,
# --plan-only. Needs node + onnxruntime-node for the ORT check (skipped, exit 77, without).
. "$(dirname "$0")/lib.sh"
S="$EDGE_SOURCE_DIR"
F="$S/fixtures"
require_ort
M="$F/models/lenet5.onnx"
DATA=(--calib-data "$F/data/mnist_calib_x.npy" --eval-data "$F/data/mnist_eval_x.npy"
      --eval-labels "$F/data/mnist_eval_y.npy" --scale 1/255 --limit 100)
RUNS=(--runs 5 --warmup 1)
cd "$WORK"
py() { python3 -c "$1" "${@:2}"; }

# --- bad input: exit 2, one line -----------------------------------------------------------
expect_error 2 "needs a measure: give --eval-data" "no eval data refused" -- \
  "$COMPRESSOR" search "$M" -o b.onnx --out-dir D0 --calib-data "$F/data/mnist_calib_x.npy"
expect_error 2 "budget-minutes 0.0001 is too small for one candidate" "budget below one measurement refused" -- \
  "$COMPRESSOR" search "$M" -o b.onnx --out-dir D0 "${DATA[@]}" --budget-minutes 0.0001
expect_error 2 "objective" "unknown objective refused" -- \
  "$COMPRESSOR" search "$M" -o b.onnx --out-dir D0 "${DATA[@]}" --objective speed

# --- a tiny budget stops starting candidates; a rerun resumes; a third measures nothing -------
SEARCH=("$COMPRESSOR" search "$M" --out-dir D "${DATA[@]}" "${RUNS[@]}" --max-accuracy-drop 0.02 --objective size)
"${SEARCH[@]}" -o best0.onnx --max-candidates 4 >out0.txt 2>err0.txt
rc=$?
py '
import json
j = json.load(open("D/pareto.json"))
st = [c["status"] for c in j["candidates"]]
assert st[0] == "measured", st
assert st.count("measured") <= 4 and "not-run" in st, st
assert all(c["why"].startswith("budget spent") for c in j["candidates"] if c["status"] == "not-run"), st
print(st.count("measured"), st.count("not-run"))
' >budget.txt 2>pyerr.txt && [ $rc -le 1 ] && ok "4-candidate budget: $(cut -d" " -f1 budget.txt) measured, $(cut -d" " -f2 budget.txt) not run (budget spent)" ||
  bad "4-candidate budget: exit $rc $(tail -2 pyerr.txt)"
cp D/pareto.json pareto0.json
"${SEARCH[@]}" -o best.onnx >out1.txt 2>err1.txt
rc=$?
if [ $rc -eq 0 ] && [ -s best.onnx ] && [ -s D/pareto.json ] && [ -s D/report.html ]; then ok "search exits 0 with best.onnx, pareto.json, report.html"
else bad "search: exit $rc: $(tail -3 err1.txt)"; fi
py '
import json
a = {c["id"]: c for c in json.load(open("pareto0.json"))["candidates"]}
b = {c["id"]: c for c in json.load(open("D/pareto.json"))["candidates"]}
done = [i for i, c in a.items() if c["status"] == "measured"]
assert done and all(b[i]["status"] == "cached" and b[i]["size_bytes"] == a[i]["size_bytes"]
                    and b[i]["latency_ms"] == a[i]["latency_ms"] for i in done)
assert not any(c["status"] == "not-run" for c in b.values())
' 2>pyerr.txt && ok "the rerun takes the budget-limited run's results from the cache and measures the rest" ||
  bad "resume after the budget: $(tail -2 pyerr.txt)"
py '
import json, sys
j = json.load(open("D/pareto.json"))
need = ["pipeline", "size_bytes", "latency_ms", "p99_latency_ms", "peak_memory_bytes", "top1", "agreement", "on_front", "status"]
cands = j["candidates"]
measured = [c for c in cands if c["status"] in ("measured", "cached")]
assert len(measured) >= 3, "fewer than 3 candidates measured"
for c in cands:
    for k in need: assert k in c, (c["id"], k)
for c in measured:
    assert c["size_bytes"] > 0 and c["latency_ms"] > 0 and c["peak_memory_bytes"] > 0, c
    assert 0 <= c["top1"] <= 1 and 0 <= c["agreement"] <= 1, c
front = [c for c in cands if c["on_front"]]
assert front and all(c["status"] in ("measured", "cached") for c in front)
best = [c for c in cands if c["id"] == j["best"]][0]
assert best["meets_gates"] and j["original"]["top1"] - best["top1"] <= 0.02 + 1e-9
# The front: nothing dominates any of its points.
def dom(a, b):
    return (a["size_bytes"] <= b["size_bytes"] and a["latency_ms"] <= b["latency_ms"] and a["top1"] >= b["top1"]
            and (a["size_bytes"] < b["size_bytes"] or a["latency_ms"] < b["latency_ms"] or a["top1"] > b["top1"]))
for f in front:
    assert not any(dom(o, f) for o in measured), f["id"]
# Cheap first: the cleanup-only candidate is #1.
assert cands[0]["pipeline"] == "fold-constants,fuse-bn,eliminate-dead"
import os
assert os.path.getsize("best.onnx") == best["size_bytes"]
print(j["best"], best["top1"], j["original"]["top1"], len(front))
' >facts.txt 2>pyerr.txt && ok "pareto.json: fields, front non-dominated, best within gates ($(cat facts.txt))" ||
  bad "pareto.json: $(tail -2 pyerr.txt)"
read -r BEST BEST_TOP1 ORIG_TOP1 _ <facts.txt

# The original's top-1 and the best's as ONNX Runtime scores them on the same 100 samples (one sample of slack for the best).
ort_top1() { node "$ORT_RUN" "$1" --eval-x "$F/data/mnist_eval_x.npy" --eval-y "$F/data/mnist_eval_y.npy" --scale 1/255 \
  --limit 100 | py 'import json, sys; print(json.load(sys.stdin)["top1"])'; }
o=$(ort_top1 "$M"); b=$(ort_top1 best.onnx)
if py "import sys; sys.exit(0 if abs($o - $ORIG_TOP1) < 1e-9 and abs($b - $BEST_TOP1) <= 0.01 + 1e-9 else 1)"; then
  ok "ORT agrees: original top-1 $o (search $ORIG_TOP1), best $b (search $BEST_TOP1)"
else bad "ORT top-1 original $o vs $ORIG_TOP1, best $b vs $BEST_TOP1"; fi
grep -q "<svg" D/report.html && grep -q "Pareto front" D/report.html && ok "report.html has the scatter plots" ||
  bad "report.html lacks the plots"

# --- every front candidate's recipe rebuilds the same file ---------------------------------
n=0; same=0
for y in D/candidates/*.yaml; do
  id=$(basename "$y" .yaml)
  n=$((n + 1))
  "$COMPRESSOR" compress "$M" --recipe "$y" -o "re$id.onnx" -q >/dev/null 2>&1
  rc=$?
  if [ $rc -le 1 ] && cmp -s "re$id.onnx" "D/candidates/$id.onnx"; then same=$((same + 1)); else echo "  $id: exit $rc, differs"; fi
done
if [ $n -ge 1 ] && [ $same -eq $n ]; then ok "$n front recipe(s) rerun by compress --recipe give the same bytes"
else bad "$same of $n front recipes rebuilt the same file"; fi

# --- resume: nothing measured again ----------------------------------------------------------
"${SEARCH[@]}" -o best2.onnx >out2.txt 2>err2.txt
rc=$?
m2=$(py 'import json; print(json.load(open("D/pareto.json"))["measured_now"])')
if [ $rc -eq 0 ] && [ "$m2" = 0 ] && cmp -s best.onnx best2.onnx; then ok "rerun measures nothing new and writes the same best"
else bad "rerun: exit $rc, measured_now $m2"; fi

# --- an interrupted run (SIGINT) resumes from its cache ----------------------------------------
"$COMPRESSOR" search "$M" --out-dir DI "${DATA[@]}" "${RUNS[@]}" -o bi.onnx >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s DI/cache.json ] && break; sleep 0.1; done
sleep 0.3
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
"$COMPRESSOR" search "$M" --out-dir DI "${DATA[@]}" "${RUNS[@]}" -o bi.onnx --budget-minutes 0.05 >outi.txt 2>erri.txt
rc2=$?
cached=$(py 'import json; print(sum(c["status"] == "cached" for c in json.load(open("DI/pareto.json"))["candidates"]))')
if [ "$rc" -ne 0 ] && [ $rc2 -le 1 ] && [ "$cached" -ge 1 ] && ! ls DI/*.tmp-* >/dev/null 2>&1; then
  ok "interrupted run (exit $rc): the rerun takes $cached candidate(s) from the cache"
else bad "interrupt: exit $rc, rerun exit $rc2, $cached cached"; fi

# --- gates nobody meets: exit 1, the closest is still written --------------------------------
rm -f closest.onnx
"${SEARCH[@]}" -o closest.onnx --max-size 1KB >out3.txt 2>err3.txt
rc=$?
if [ $rc -eq 1 ] && [ -s closest.onnx ] && grep -q "no candidate meets every gate; the closest (#[0-9]*) was written" err3.txt; then
  ok "impossible gate: exit 1, closest written and named"
else bad "impossible gate: exit $rc: $(tail -2 err3.txt)"; fi

# --- plan only: one recipe per candidate and a Makefile ---------------------------------------
"$COMPRESSOR" search "$M" --out-dir P "${DATA[@]}" --plan-only >plan.txt 2>&1
np=$(ls P/candidates/*.yaml 2>/dev/null | wc -l)
nc=$(py 'import json; print(len(json.load(open("D/pareto.json"))["candidates"]))')
if [ "$np" = "$nc" ] && grep -q "compress \$(MODEL) --recipe" P/Makefile; then ok "--plan-only wrote $np recipes and a Makefile"
else bad "--plan-only: $np recipes for $nc candidates"; fi

# --- collect: two of the plan's targets built by make, then the front from their reports ------
make -C P -j2 candidates/01.json candidates/02.json COMPRESSOR="$COMPRESSOR" >make.txt 2>&1
"$COMPRESSOR" search "$M" -o collected.onnx --collect P "${DATA[@]}" --max-accuracy-drop 0.02 >col.txt 2>colerr.txt
rc=$?
py '
import json, os
j = json.load(open("P/pareto.json"))
st = {c["id"]: c["status"] for c in j["candidates"]}
assert st[1] == "collected" and st[2] == "collected" and list(st.values()).count("collected") == 2, st
b = [c for c in j["candidates"] if c["id"] == j["best"]][0]
assert os.path.getsize("collected.onnx") == b["size_bytes"] == os.path.getsize("P/candidates/%02d.onnx" % b["id"])
assert b["peak_memory_bytes"] > 0 and b["latency_ms"] > 0
' 2>pyerr.txt && [ $rc -eq 0 ] && ok "make builds plan targets; --collect builds the front from their reports" ||
  bad "collect: exit $rc $(tail -2 pyerr.txt) $(tail -2 colerr.txt) $(tail -2 make.txt)"

finish
