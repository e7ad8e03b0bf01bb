#!/usr/bin/python3
"""CLI-level fuzzing: structure-aware mutants of real models (mutate_model) through the tools.

Each mutant goes through `compressor inspect` (text and JSON), `compressor compress` (one of
several pipelines, in turn), `compressor eval` (where the original model has a dataset),
`edge-run run` and `edge-run bench`, each in its own empty directory, under a time limit and a
4 GiB address-space cap. A finding is any of:
  - an exit code other than 0 or 2 (1 is a gate, and no gate is given; 3 is an internal error:
    a broken model is bad input), a signal, or the time limit;
  - on failure, stderr that is not exactly one error line (warning lines aside), or an output
    file left behind;
  - on success, JSON that does not parse, or a compressed model that `compressor inspect`
    cannot load again;
  - a peak RSS above --max-rss-mb.
Findings are deduplicated by (command, exit code, message with numbers and quoted names
removed); each kept one is copied with its command and stderr to OUT/findings/. A summary goes
to OUT/summary.json and stdout. Exit status 1 if anything was found.

  cli_campaign.py --bin-dir build --count 20 --seed 1 --out build/fuzz-cli MODEL[=DATA.npy]...
"""
import argparse
import concurrent.futures as cf
import collections
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

PIPELINES = [
    "fold-constants,fuse-bn",
    "prune-magnitude<sparsity=0.5>",
    "quantize-dynamic",
    "quantize-fp16",
    "quantize-weight-only<bits=4>",
    "quantize-static",  # with --calib-data where the original model has data, else bad usage (2)
    "prune-channels<ratio=0.25>",
]


def run_measured(cmd, cwd, timeout):
    """Like run() but measures the child's peak RSS with wait4."""
    def cap():  # AddressSanitizer reserves terabytes of address space: no cap there
        if not os.environ.get("ASAN_OPTIONS"):
            resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=fo, stderr=fe, preexec_fn=cap)
        timer = __import__("threading").Timer(timeout, p.kill)
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        timed_out = not timer.is_alive()
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        rc = "timeout" if timed_out else p.returncode
        return rc, fo.read(), fe.read(), usage.ru_maxrss // 1024


def normalized(message):
    m = re.sub(r"'[^']*'", "'…'", message)
    m = re.sub(r"\"[^\"]*\"", "\"…\"", m)
    return re.sub(r"-?\d+", "N", m)[:200]


def error_lines(stderr):
    return [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip() and "warn" not in l.lower()]


def commands(tool_dir, mutant, data, pipeline, work):
    comp, edge = os.path.join(tool_dir, "compressor"), os.path.join(tool_dir, "edge-run")
    compress = [comp, "compress", mutant, "-o", os.path.join(work, "out.onnx"), "--passes", pipeline, "-q",
                "--report", os.path.join(work, "report.json")]
    if data and pipeline.startswith(("quantize-static", "prune-channels")):
        compress += ["--calib-data", data]
    cmds = [("inspect", [comp, "inspect", mutant]),
            ("inspect-json", [comp, "inspect", mutant, "--format", "json"]),
            ("compress", compress),
            ("run", [edge, "run", mutant, "--random", "--seed", "1", "-o", os.path.join(work, "outputs")]),
            ("bench", [edge, "bench", mutant, "--runs", "2", "--warmup", "0"])]
    if data:
        cmds.append(("eval", [comp, "eval", mutant, "--data", data, "--limit", "4"]))
    return cmds


def check(name, rc, out, err, rss, work, args):
    """Returns a list of finding descriptions for one run."""
    found = []
    lines = error_lines(err)
    if rc == "timeout" or not isinstance(rc, int) or rc not in (0, 2):
        found.append(f"exit {rc}: {lines[-1] if lines else ''}")
    if rss > args.max_rss_mb:
        found.append(f"peak RSS {rss} MB > {args.max_rss_mb} MB")
    if isinstance(rc, int) and rc != 0:
        if len(lines) != 1:
            found.append(f"{len(lines)} error lines on stderr: {' | '.join(lines[:3])}")
        left = os.listdir(work)
        if left:
            found.append(f"files left after a failure: {left}")
    if rc == 0 and name == "inspect-json":
        try:
            json.loads(out)
        except ValueError as e:
            found.append(f"invalid JSON: {e}")
    if rc == 0 and name == "compress":
        out_model = os.path.join(work, "out.onnx")
        r2 = subprocess.run([os.path.join(args.bin_dir, "compressor"), "inspect", out_model],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r2.returncode != 0:
            found.append(f"the compressed model does not load again: {r2.stderr.decode(errors='replace').strip()}")
    return found


def fuzz_one(mutant, what, data, index, args):
    pipeline = PIPELINES[index % len(PIPELINES)]
    results = []
    for name, cmd in commands(args.bin_dir, mutant, data, pipeline, "WORK"):
        work = tempfile.mkdtemp(prefix="cli-fuzz-", dir=args.scratch)
        cmd = [c.replace("WORK", work) for c in cmd]
        rc, out, err, rss = run_measured(cmd, work, args.timeout)
        found = check(name, rc, out, err, rss, work, args)
        results.append((name, rc, rss, found, cmd, err, what))
        shutil.rmtree(work, ignore_errors=True)
    return mutant, results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", required=True, help="directory with compressor and edge-run")
    ap.add_argument("--mutator", required=True, help="the mutate_model binary")
    ap.add_argument("--count", type=int, default=20, help="mutants per model")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--max-rss-mb", type=int, default=1024)
    ap.add_argument("models", nargs="+", help="MODEL or MODEL=DATA.npy (data for eval and calibration)")
    args = ap.parse_args()
    args.bin_dir, args.out = os.path.abspath(args.bin_dir), os.path.abspath(args.out)
    if os.environ.get("ASAN_OPTIONS"):  # AddressSanitizer's shadow memory and quarantine
        args.max_rss_mb *= 3
    shutil.rmtree(args.out, ignore_errors=True)
    mutants_dir, findings_dir = os.path.join(args.out, "mutants"), os.path.join(args.out, "findings")
    args.scratch = os.path.join(args.out, "scratch")
    for d in (mutants_dir, findings_dir, args.scratch):
        os.makedirs(d)
    jobs = []
    for k, spec in enumerate(args.models):
        model, _, data = spec.partition("=")
        listing = subprocess.run([args.mutator, mutants_dir, str(args.count), str(args.seed + 1000 * k), model],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
        for i, line in enumerate(listing.splitlines()):
            path, _, what = line.partition("\t")
            jobs.append((os.path.abspath(path), what, os.path.abspath(data) if data else None, i))
    exits = collections.defaultdict(collections.Counter)
    peak = collections.Counter()
    seen = {}
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for mutant, results in pool.map(lambda j: fuzz_one(*j, args), jobs):
            for name, rc, rss, found, cmd, err, what in results:
                exits[name][str(rc)] += 1
                peak[name] = max(peak[name], rss)
                for f in found:
                    key = (name, str(rc), normalized(f))
                    if key in seen:
                        continue
                    n = len(seen)
                    seen[key] = {"command": name, "finding": f, "mutant": os.path.basename(mutant), "mutation": what,
                                 "argv": cmd}
                    shutil.copy(mutant, os.path.join(findings_dir, f"{n}-{name}.onnx"))
                    with open(os.path.join(findings_dir, f"{n}-{name}.txt"), "w") as fh:
                        fh.write(" ".join(cmd) + f"\nexit {rc}\nmutation: {what}\nfinding: {f}\n")
                        fh.write(err.decode("utf-8", "replace"))
    summary = {"mutants": len(jobs), "runs": sum(sum(c.values()) for c in exits.values()),
               "exit_codes": {k: dict(v) for k, v in sorted(exits.items())},
               "peak_rss_mb": dict(sorted(peak.items())), "findings": list(seen.values())}
    with open(os.path.join(args.out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    shutil.rmtree(args.scratch, ignore_errors=True)
    print(f"cli fuzz: {summary['mutants']} mutants, {summary['runs']} runs, {len(seen)} distinct findings")
    for name, codes in summary["exit_codes"].items():
        print(f"  {name}: exits {codes}, peak RSS {summary['peak_rss_mb'][name]} MB")
    for f in summary["findings"]:
        print(f"  FINDING {f['command']} {f['mutant']} ({f['mutation']}): {f['finding']}")
    return 1 if seen else 0


if __name__ == "__main__":
    sys.exit(main())
