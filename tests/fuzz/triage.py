#!/usr/bin/python3
"""Triage of a fuzzing run (scripts/fuzz.sh): per target, the executions, coverage and corpus
size from libFuzzer's log, and its artifacts (crash-*, oom-*, timeout-*, leak-*, slow-unit-*)
replayed once and deduplicated by stack: the signature is the kind plus the first three frames
outside the sanitizers, libFuzzer and the C library. The first artifact of each signature goes
to FINDINGS/<target>/unique/<kind>-<hash>, with the replay's report beside it (.txt).

  triage.py BUILD_DIR SECONDS WORKERS TARGET...
writes BUILD_DIR/fuzz-summary.json and prints a table; exit status 1 if anything was found.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

SKIP = re.compile(r"__asan|__sanitizer|__ubsan|__interceptor|__lsan|fuzzer::|LLVMFuzzer|^malloc$|^calloc$|^realloc$"
                  r"|^free$|operator new|operator delete|^abort$|^raise$|__libc|^gsignal$|__GI_|_start$|^start_thread$")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (.+?)(?: /\S+)?$")


def stats(log):
    """(executions, coverage, corpus) from a libFuzzer log, fork mode or not."""
    execs = cov = corp = 0
    try:
        text = open(log, errors="replace").read()
    except OSError:
        return 0, 0, 0
    for m in re.finditer(r"^#(\d+):? .*?cov: (\d+).*?corp: (\d+)", text, re.M):
        execs, cov, corp = int(m.group(1)), int(m.group(2)), int(m.group(3))
    m = re.findall(r"stat::number_of_executed_units: *(\d+)", text)
    if m:
        execs = max(execs, sum(int(x) for x in m))
    return execs, cov, corp


def signature(binary, artifact, kind):
    args = [binary, "-runs=1", "-timeout=30", "-rss_limit_mb=2048", "-malloc_limit_mb=2048", artifact]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:symbolize=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
        report = r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        report = (e.stdout or b"").decode("utf-8", "replace") + "\n(replay timed out)"
    frames = []
    for line in report.splitlines():
        m = FRAME.match(line)
        if m and not SKIP.search(m.group(1)):
            frames.append(re.sub(r"\(.*\)", "()", m.group(1)))  # argument lists vary with templates
            if len(frames) == 3:
                break
    what = re.search(r"ERROR: (\w+Sanitizer|libFuzzer): ([\w-]+)", report)
    key = kind + "|" + (what.group(2) if what else "") + "|" + "|".join(frames)
    return key, report, frames


def main():
    build, seconds, workers, targets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    rows, found = [], 0
    for t in targets:
        execs, cov, corp = stats(os.path.join(build, t + ".log"))
        findings = os.path.join(build, "findings", t)
        unique_dir = os.path.join(findings, "unique")
        os.makedirs(unique_dir, exist_ok=True)
        counts, seen = {}, {}
        for art in sorted(glob.glob(os.path.join(findings, "*-*"))):
            kind = os.path.basename(art).split("-")[0]
            if not os.path.isfile(art) or kind not in ("crash", "oom", "timeout", "leak", "slow"):
                continue
            counts[kind] = counts.get(kind, 0) + 1
            key, report, frames = signature(os.path.join(build, "tests", "fuzz", t), art, kind)
            if key in seen:
                continue
            name = kind + "-" + hashlib.sha1(key.encode()).hexdigest()[:12]
            shutil.copy(art, os.path.join(unique_dir, name))
            with open(os.path.join(unique_dir, name + ".txt"), "w") as f:
                f.write(f"artifact: {art}\nsignature: {key}\n\n{report}")
            seen[key] = {"file": name, "frames": frames}
        found += len(seen)
        rows.append({"target": t, "executions": execs, "coverage": cov, "corpus": corp,
                     "artifacts": counts, "distinct": list(seen.values())})
    summary = {"seconds_per_target": seconds, "workers": workers, "targets": rows,
               "total_executions": sum(r["executions"] for r in rows), "distinct_findings": found}
    with open(os.path.join(build, "fuzz-summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"{'target':20} {'executions':>12} {'coverage':>9} {'corpus':>7}  findings")
    for r in rows:
        arts = ", ".join(f"{v} {k}" for k, v in r["artifacts"].items()) or "none"
        print(f"{r['target']:20} {r['executions']:>12,} {r['coverage']:>9,} {r['corpus']:>7,}  {arts}"
              + (f" ({len(r['distinct'])} distinct)" if r["distinct"] else ""))
        for d in r["distinct"]:
            print(f"    {d['file']}: {' <- '.join(d['frames']) or '(no frames)'}")
    print(f"total: {summary['total_executions']:,} executions, {found} distinct findings "
          f"(summary: {os.path.join(build, 'fuzz-summary.json')})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
