"""Benchmark: ``driftctl history`` over 200 bundles of one 20k-fact site, and the engines behind it.

Run by hand: ``.venv/bin/python tests/bench/bench_history.py [--bundles 200] [--facts 20000]``.
Builds one site (workloads with two containers, Helm releases of 1000 values, 20 GPU nodes with
chrony), signs ``--bundles`` collections of it in order and imports them with ``driftctl import``
(one seq left out: a gap). Between collections what changes in the field changes: every clock
offset (noise, never a change), some pods move, an image tag every 10th bundle, a Helm value
every 25th, one node loses sync at two thirds, the images move to another mirror at the end.
The store is kept under .cache/ for the next run (``--rebuild`` makes it again).

Then, goal ≤ 3 s and ≤ 400 MB: the whole ``driftctl history`` process (wall, CPU and max RSS,
best and median of ``--runs``), and in-process on the same stored snapshots the comparison
engines that were measured to choose one (the reading and parsing of each snapshot excluded):
the JSON pre-filter then flattened facts (what ships), flattened facts of whole snapshots,
DeepDiff on whole snapshots (on ``--deepdiff-pairs`` pairs, the rest extrapolated), and DeepDiff
on the items the pre-filter found different.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import goal_line  # noqa: E402
from snapshot_kit import (  # noqa: E402
    clock,
    container,
    gpu,
    helm_release,
    node,
    snapshot_dict,
    workload,
)

from driftctl.bundle import NAMESPACE  # noqa: E402
from driftctl.bundle.keys import generate_key, load_private_key  # noqa: E402
from driftctl.bundle.writer import write_bundle  # noqa: E402

SITE = "bench"
START = datetime(2026, 3, 1, tzinfo=UTC)  # daily collections, all in the past
APP = "team-00/Deployment/app-0000"
REL = "team-00/rel-000"


def template(facts: int) -> dict[str, Any]:
    """A site of about ``facts`` flat facts: half in workloads, half in Helm values."""
    rng = random.Random(7)
    workloads = {}
    for w in range(facts // 30):
        env = {"MODE": "prod", "LEVEL": str(w % 5)}
        main = container(f"registry.local/app-{w:04d}:1.{w % 7}.0", f"sha256:{w:064x}", env=env)
        side = container("registry.local/ops/envoy:1.29", "sha256:" + "e" * 64)
        labels = {"app.kubernetes.io/version": f"1.{w % 7}.0", "team": f"t{w % 10}"}
        workloads[f"team-{w % 10:02d}/Deployment/app-{w:04d}"] = workload(
            {"main": main, "sidecar": side},
            nodes=[f"node-{w % 20:03d}"],
            labels=labels,
            template_labels={"team": f"t{w % 10}"},
        )
    helm = {}
    for r in range(max(1, facts // 2000)):
        values = {
            f"group{g}": {f"key{k}": rng.choice([k * g, f"v{k}", k % 2 == 0]) for k in range(50)}
            for g in range(20)
        }
        helm[f"team-{r % 10:02d}/rel-{r:03d}"] = helm_release(values)
    nodes = {
        f"node-{n:03d}": node(("control-plane",) if n < 3 else ("worker",), gpu=gpu(), time=clock())
        for n in range(20)
    }
    return snapshot_dict(SITE, START.strftime("%Y-%m-%dT%H:%M:%SZ"), workloads=workloads,
                         helm=helm, nodes=nodes)  # fmt: skip


def collections(base: dict[str, Any], n: int) -> Iterator[dict[str, Any]]:
    """The site on ``n`` consecutive days, drifting as sites do."""
    rng = random.Random(14)
    snap = copy.deepcopy(base)
    for i in range(n):
        snap["collected_at"] = (START + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for name, facts in snap["nodes"].items():
            facts["time"]["offset_seconds"] = round(rng.gauss(0, 0.00002), 9)
            facts["time"]["root_delay"] = round(rng.uniform(0.0001, 0.001), 9)
        for w in rng.sample(sorted(snap["workloads"]), 5):  # pods rescheduled
            snap["workloads"][w]["nodes"] = [f"node-{rng.randrange(20):03d}"]
        if i and i % 10 == 0:
            snap["workloads"][APP]["containers"]["main"]["image"] = (
                f"registry.local/app-0000:1.{i // 10}.0"
            )
        if i and i % 25 == 0:
            snap["helm"][REL]["values"]["group1"]["key3"] = i
        if i == 2 * n // 3:
            snap["nodes"]["node-005"]["time"] = clock(synchronized=False, offset=3.5)
        if i == n - 1:
            for w in snap["workloads"].values():
                for c in w["containers"].values():
                    c["image"] = c["image"].replace("registry.local/", "mirror.local/")
        yield copy.deepcopy(snap)


def build_store(base: Path, bundles: int, facts: int) -> Path:
    store = base / "store"
    if store.is_dir():
        print(f"reusing {store} (--rebuild to make it again)")
        return store
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    private, _ = generate_key(SITE, base / "keys")
    key = load_private_key(private)
    trust = base / "allowed_signers"
    trust.write_text(f'{SITE} namespaces="{NAMESPACE}" {key.public_line()}\n')
    t = time.perf_counter()
    paths = [
        write_bundle(base / "out", snap, [], {"total": 0}, key, "bench").path
        for snap in collections(template(facts), bundles)
    ]
    gap = paths.pop(bundles // 3)  # one USB stick never arrived
    print(f"built {bundles} bundles ({gap.name} left out) in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    for i in range(0, len(paths), 100):
        chunk = map(str, paths[i : i + 100])
        cmd = [sys.executable, "-m", "driftctl", "import", *chunk, "--trust", str(trust)]
        subprocess.run(
            [*cmd, "--store", str(store)], cwd=ROOT, capture_output=True, check=True, timeout=1800
        )
    print(f"imported in {time.perf_counter() - t:.1f} s")
    shutil.rmtree(base / "out")
    return store


TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int, cpu: dict[int, float]) -> int:
    """KiB resident in ``root`` and its children now (worker processes included); each one's
    CPU seconds so far into ``cpu``."""
    total, kids = 0, {root}
    for entry in sorted(os.listdir("/proc"), key=lambda e: (not e.isdigit(), len(e), e)):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(entry) != root and int(fields[1]) not in kids:
                continue
            kids.add(int(entry))
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
            with open(f"/proc/{entry}/status") as fh:
                rss = [line for line in fh if line.startswith("VmRSS:")]
            total += int(rss[0].split()[1]) if rss else 0
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total


def measure(cmd: list[str]) -> tuple[float, float, float, float, bytes, float]:
    """Wall and CPU seconds (with its workers), max RSS of its largest process and of the
    whole process tree sampled every 10 ms (MiB), stdout, and the CPU seconds of the parent
    plus its busiest worker (what the wall time would be with a free CPU per worker)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _tree(proc.pid, cpu))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=600)
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd}: exit {proc.returncode}: {err.decode()[-2000:]}")
    total = usage.ru_utime + usage.ru_stime - measure.cpu_before  # type: ignore[attr-defined]
    measure.cpu_before += total  # type: ignore[attr-defined]
    workers = [c for pid, c in cpu.items() if pid != proc.pid]
    parent = total - sum(workers)
    return (
        wall,
        total,
        usage.ru_maxrss / 1024,
        peak[0] / 1024,
        out,
        parent + max(workers, default=0),
    )


measure.cpu_before = 0.0  # type: ignore[attr-defined]


def engines(store: Path, pairs: int) -> None:
    """The comparison engines on the same stored snapshots, reading and parsing excluded."""
    from driftctl.diff.pairs import ITEMIZED, WHOLE
    from driftctl.diff.pairs import touched as _touched
    from driftctl.diff.timeline import Timeline
    from driftctl.store.layout import entries, read_snapshot

    seqs = [e.seq for e in entries(store, SITE) if e.stored]
    shipped, whole = Timeline(SITE), Timeline(SITE, whole=True)
    spent = {"prefilter": 0.0, "whole": 0.0, "deepdiff-items": 0.0, "deepdiff-whole": 0.0}
    found = {k: 0 for k in spent}
    t = time.perf_counter()
    import deepdiff

    load_deepdiff = time.perf_counter() - t
    prev: dict[str, Any] | None = None
    for n, seq in enumerate(seqs):
        raw = read_snapshot(store, SITE, seq)
        for name, timeline in (("prefilter", shipped), ("whole", whole)):
            t = time.perf_counter()
            step = timeline.add(seq, "", "0" * 64, raw)
            spent[name] += time.perf_counter() - t
            found[name] += len(step.changes)
        if prev is not None:
            t = time.perf_counter()
            touched = _touched(prev, raw)
            for section in ITEMIZED:
                for item in touched.get(section, ()):
                    before = prev.get(section, {}).get(item, {})
                    after = raw.get(section, {}).get(item, {})
                    found["deepdiff-items"] += len(deepdiff.DeepDiff(before, after).affected_paths)
            for section in WHOLE:
                if section in touched:
                    diff = deepdiff.DeepDiff(prev.get(section), raw.get(section))
                    found["deepdiff-items"] += len(diff.affected_paths)
            spent["deepdiff-items"] += time.perf_counter() - t
            if n <= pairs:
                t = time.perf_counter()
                found["deepdiff-whole"] += len(deepdiff.DeepDiff(prev, raw).affected_paths)
                spent["deepdiff-whole"] += time.perf_counter() - t
        prev = raw
    compared = len(seqs) - 1
    spent["deepdiff-whole"] *= compared / min(pairs, compared)  # extrapolated
    found["deepdiff-whole"] = round(found["deepdiff-whole"] * compared / min(pairs, compared))
    print(f"\nengines over {compared} pairs, reading and parsing excluded "
          f"(DeepDiff import {load_deepdiff * 1000:.0f} ms, not counted):")  # fmt: skip
    labels = {
        "prefilter": "JSON pre-filter, then flattened facts (shipped)",
        "whole": "flattened facts of whole snapshots",
        "deepdiff-items": "DeepDiff on the items the pre-filter found different",
        "deepdiff-whole": f"DeepDiff on whole snapshots ({min(pairs, compared)} pairs, extrapolated)",
    }
    for name, label in labels.items():
        per = spent[name] / compared * 1000
        print(f"  {label:<66} {spent[name]:7.2f} s  {per:7.2f} ms/pair  {found[name]:6d} reported")
    print("  (DeepDiff counts raw differences: clock noise, moved pods, the mirror host; history "
          "reports only what diff would)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=200)
    parser.add_argument("--facts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deepdiff-pairs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-engines", action="store_true")
    args = parser.parse_args()
    base = ROOT / ".cache" / f"bench-history-{args.bundles}x{args.facts}"
    if args.rebuild:
        shutil.rmtree(base, ignore_errors=True)
    store = build_store(base, args.bundles, args.facts)
    cmd = [sys.executable, "-m", "driftctl", "history", "--site", SITE, "--store", str(store)]
    for _ in range(2):  # the store into the page cache, the interpreter warm
        measure([*cmd, "--format", "json", "--jobs", "1"])
    jobs = {"default": [], "1": []}
    for _ in range(args.runs):  # alternating, so load from other jobs falls on both alike
        for name, runs in jobs.items():
            extra = [] if name == "default" else ["--jobs", name]
            runs.append(measure([*cmd, "--format", "json", *extra]))
    doc = json.loads(jobs["default"][-1][4])
    assert doc == json.loads(jobs["1"][-1][4]), "worker processes changed the answer"
    facts = doc["bundles"][0]["facts"]
    changes = doc["summary"]["changes"]
    gaps = [str(g["first"]) for b in doc["bundles"] for g in b["gaps"]]
    print(f"\nsite: {doc['summary']['bundles']} stored bundles of {facts} facts, "
          f"{changes} changes, gap at seq {', '.join(gaps) or 'none'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"driftctl history --format json, whole process, {args.runs} runs each, alternating:")
    best = {}
    for name, runs in jobs.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        largest, tree = max(r[2] for r in runs), max(r[3] for r in runs)
        path = min(r[5] for r in runs)
        best[name] = (min(walls), tree)
        label = "default (workers)" if name == "default" else f"--jobs {name}"
        print(f"  {label:<18} wall best {min(walls):.2f} s, median {statistics.median(walls):.2f} s;"
              f" CPU best {min(cpus):.2f} s (parent + busiest worker {path:.2f} s);"
              f" max RSS {largest:.0f} MiB per process, {tree:.0f} MiB all processes")  # fmt: skip
    print(f"  (table format: {measure(cmd)[0]:.2f} s)")
    scale = 200 / args.bundles * args.facts / 20_000
    wall, tree = best["default"]
    goal = wall <= 3.0 * scale and tree <= 400
    print(f"goal ≤ 3 s and ≤ 400 MiB for 200 × 20k: {'met' if goal else 'MISSED'}")
    if not args.no_engines:
        engines(store, args.deepdiff_pairs)
    one = statistics.median(r[0] for r in jobs["1"])
    print(goal_line("driftctl history --jobs 1, median wall", one, 3.0 * scale))


if __name__ == "__main__":
    main()
