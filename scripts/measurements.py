#!/usr/bin/env python3
"""Regenerates the sections of specs/measurements.md: every figure the README and specs/
quote comes from here, with the date, the commit and the machine it was measured on.

    scripts/measurements.py SECTION...      # regenerate these sections
    scripts/measurements.py --list          # the sections and roughly how long each takes

Each section lies between `<!-- measured: NAME -->` and `<!-- end: NAME -->` in the page;
only the sections named are replaced, the rest of the page (hand-kept history included) is
left as it is. Needs `cargo build --release --workspace` first (the benches and tests build
their own targets); `zookeeper` needs Debian's zookeeper package (scripts/test.sh installs it).
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "specs" / "measurements.md"
MODEL = ROOT / "target" / "release" / "zab-model"

FLE_ALONE = "--phase election --election fle --servers 3 --txns 0 --crashes 0 --epochs 1 --rounds 1"
FLE_ZAB = "--election fle --servers 3 --crashes 0"

# (what it is, zab-model arguments): each row of a model table.
MODEL_ROWS = [
    ("FLE alone, one round, no faults (pinned)", f"check {FLE_ALONE} --transmits 0"),
    ("FLE alone, one round, one Transmit (pinned)", f"check {FLE_ALONE} --transmits 1"),
    ("FLE then Zab, no writes, no faults (pinned)", f"check {FLE_ZAB} --txns 0 --transmits 0"),
    ("FLE then Zab, no writes, one Transmit (pinned)", f"check {FLE_ZAB} --txns 0 --transmits 1"),
    ("FLE then Zab, one write, no faults", f"check {FLE_ZAB} --txns 1 --transmits 0"),
    ("liveness: FLE then Zab, one write", f"liveness {FLE_ZAB} --txns 1 --transmits 0 --max-states 15000000"),
]
MODEL_LARGE_ROWS = [
    ("FLE alone, one round, two Transmits", f"check {FLE_ALONE} --transmits 2"),
    ("FLE then Zab, one write, one Transmit", f"check {FLE_ZAB} --txns 1 --transmits 1"),
    (
        "oracle election, 2 writes, a crash and a partition, by symmetry",
        "check --servers 3 --txns 2 --crashes 1 --partitions 1 --epochs 2 --election oracle --symmetry",
    ),
    (
        "full FLE, one write, one crash (depth first)",
        "check --servers 3 --txns 1 --crashes 1 --election fle --dfs",
    ),
    (
        "FLE alone, one crash, epochs 2, rounds 3 (depth first)",
        "check --phase election --election fle --servers 3 --crashes 1 --dfs",
    ),
]


def run(cmd, env=None, cwd=ROOT):
    """Runs `cmd` (a list), returns (stdout, stderr); a failure stops the script."""
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"measurements: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout, p.stderr


def model_table(rows):
    out = ["| configuration | `zab-model` arguments | unique states | seconds | states/s | max RSS |",
           "|---|---|---|---|---|---|"]
    for name, args in rows:
        # GNU time's %M: the process's peak resident set, in KiB, on stderr's last line.
        stdout, stderr = run(["/usr/bin/time", "-f", "%M", str(MODEL)] + args.split() + ["--json"])
        d = json.loads(stdout)
        rss_gb = int(stderr.strip().splitlines()[-1]) / (1024 * 1024)
        verdict = "" if d["result"] == "pass" else f" ({d['result']})"
        out.append(f"| {name}{verdict} | `{args}` | {d['unique_states']:,} | {d['seconds']:.1f} | "
                   f"{d['states_per_second']:,.0f} | {rss_gb:.1f} GB |")
    return "\n".join(out)


def bugs_table():
    stdout, _ = run(["scripts/bug-table.sh"])
    lines = [l.split("\t") for l in stdout.strip().splitlines()]
    out = ["| switch | first violation (depth) | named invariant (depth) | states | seconds |",
           "|---|---|---|---|---|"]
    out += [f"| `{r[0]}` | `{r[1]}` | `{r[2]}` | {r[3]} | {r[4]} |" for r in lines[1:]]
    return "\n".join(out)


def cargo_test_lines(args, pattern, env=None):
    stdout, _ = run(["cargo", "test", "--release", "--locked"] + args + ["--", "--nocapture"], env=env)
    return [l for l in stdout.splitlines() if re.search(pattern, l)]


def refinement_lines():
    # Each suite prints one summary line (`common::report`, the validators' own).
    lines = cargo_test_lines(
        ["-p", "zab-refinement"],
        r"traces replayed|events explained|simulator runs validated|runs validated|explained by",
    )
    return "```\n" + "\n".join(lines) + "\n```"


def simulator_table():
    lines = cargo_test_lines(
        ["-p", "zab-refinement", "--test", "sim_traces"],
        r"simulator runs validated",
        env={"ZAB_SIM_RUNS": "300"},
    )
    pat = re.compile(r"\((\d+) crashes, (\d+) losses, (\d+) partitions\): (\d+) runs, (\d+) events, "
                     r"(\d+) model actions, ([\d.]+) s")
    rows = sorted(m.groups() for m in map(pat.search, lines) if m)
    out = ["| crashes | losses | partitions | runs | events | model actions | seconds |",
           "|---|---|---|---|---|---|---|"]
    out += [f"| {c} | {l} | {p} | {r} | {int(e):,} | {int(a):,} | {s} |" for c, l, p, r, e, a, s in rows]
    return "\n".join(out)


def human_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def benches_table():
    run(["cargo", "bench", "--locked", "-p", "zab"])
    out = ["| bench | mean time | throughput |", "|---|---|---|"]
    for bench in sorted((ROOT / "target" / "criterion").glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        ns = est["mean"]["point_estimate"]
        tp = meta.get("throughput") or {}
        if "Elements" in tp:
            rate = f"{tp['Elements'] / ns * 1e9:,.0f} elements/s"
        elif "Bytes" in tp:
            rate = f"{tp['Bytes'] / ns * 1e9 / 2**20:,.0f} MiB/s"
        else:
            rate = ""
        out.append(f"| `{meta['full_id']}` | {human_time(ns)} | {rate} |")
    return "\n".join(out)


def zookeeper_table():
    stdout, _ = run(["scripts/bench-compare.sh"])
    return "```\n" + stdout.strip() + "\n```"


SECTIONS = {
    "model": ("pinned and small model configurations, 2 threads (about 4 minutes)",
              lambda: model_table(MODEL_ROWS)),
    "model-large": ("the largest model configurations that complete, 2 threads "
                    "(about 45 minutes, up to 10 GB)", lambda: model_table(MODEL_LARGE_ROWS)),
    "bugs": ("each bug switch's smallest configuration, breadth first on one thread "
             "(`scripts/bug-table.sh`, about 20 seconds)", bugs_table),
    "refinement": ("every refinement suite's summary line "
                   "(`cargo test --release -p zab-refinement`, about 3 minutes)", refinement_lines),
    "simulator": ("the simulator's runs explained by the model, 300 seeds of each fault mix "
                  "(`ZAB_SIM_RUNS=300`, about 2 minutes)", simulator_table),
    "benches": ("criterion benchmarks (`cargo bench -p zab`, about 10 minutes)", benches_table),
    "zookeeper": ("zabd against Apache ZooKeeper 3.8 (`scripts/bench-compare.sh`, "
                  "about 2 minutes)", zookeeper_table),
}


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split()[1]
    return f"{os.cpu_count()} cores ({cpu}), {int(mem) / 2**20:.0f} GB"


def splice(page, name, body):
    begin, end = f"<!-- measured: {name} -->", f"<!-- end: {name} -->"
    if begin not in page or end not in page:
        sys.exit(f"measurements: {PAGE} has no section {name}")
    head, rest = page.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    if argv[0] == "--list":
        for name, (what, _) in SECTIONS.items():
            print(f"{name:12} {what}")
        return
    unknown = [a for a in argv if a not in SECTIONS]
    if unknown:
        sys.exit(f"measurements: unknown section(s) {unknown}; --list names them")
    commit = run(["git", "rev-parse", "--short", "HEAD"])[0].strip()
    for name in argv:
        what, measure = SECTIONS[name]
        print(f"measuring {name}: {what}", file=sys.stderr)
        started = time.monotonic()
        body = measure()
        took = time.monotonic() - started
        stamp = (f"*Measured on {time.strftime('%Y-%m-%d')} at commit {commit} on {machine()}, "
                 f"by `scripts/measurements.py {name}` in {took:.0f} s: {what}.*")
        PAGE.write_text(splice(PAGE.read_text(), name, f"{stamp}\n\n{body}"))


if __name__ == "__main__":
    main(sys.argv[1:])
