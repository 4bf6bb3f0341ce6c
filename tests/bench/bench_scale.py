"""Benchmark: ``driftctl diff`` as the fleet grows — the README's scaling table comes from here.

Run by hand: ``.venv/bin/python tests/bench/bench_scale.py [--grid 50x20000,200x20000,500x20000,
50x100000] [--rounds 3]``.

For each cell, a store of N sites × F facts (tests/bench/fleet.py: real collector output,
drifted, signed and imported with ``driftctl import``), then the whole CLI ``driftctl diff
--store S --format json`` in a fresh process: wall time (min and median), CPU time and peak RSS.
Goals: 500 × 20k ≤ 10 s and ≤ 1 GiB; 50 × 20k ≤ 1.5 s. Prints a Markdown table, then the
worst cell's time over its goal last.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit, fleet

from benchkit import Series, alternate, driftctl_argv, machine, run
from fleet import build_store

GOALS = {(50, 20_000): (1.5, None), (500, 20_000): (10.0, 1024.0)}


def cell(sites: int, facts: int, rounds: int) -> Series:
    base = Path(tempfile.mkdtemp(prefix=f"driftctl-bench-scale-{sites}x{facts}-"))
    try:
        store, _ = build_store(base, sites, facts)
        argv = [*driftctl_argv(), "diff", "--store", str(store), "--format", "json"]
        (series,) = alternate([(f"{sites} x {facts}", lambda: run(argv, ok=(0, 1)))], rounds)
        return series
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid", default="50x20000,200x20000,500x20000,50x100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    rows = []
    worst = ("", 0.0)
    for spec in args.grid.split(","):
        sites, facts = (int(x) for x in spec.split("x"))
        series = cell(sites, facts, args.rounds)
        print(series.line(), flush=True)
        goal_s, goal_mib = GOALS.get((sites, facts), (None, None))
        goal = " / ".join(
            g for g in (
                f"≤ {goal_s:g} s" if goal_s else "",
                f"≤ {goal_mib / 1024:g} GiB" if goal_mib else "",
            ) if g
        ) or "—"  # fmt: skip
        rows.append(
            f"| {sites} | {facts:,} | {series.min:.2f} s | {series.median:.2f} s | "
            f"{series.cpu:.2f} s | {series.rss:,.0f} MiB | {goal} |"
        )
        if goal_s and series.median / goal_s > worst[1]:
            worst = (f"{sites} x {facts}", series.median / goal_s)
    print()
    print("| sites | facts per site | wall, min | wall, median | CPU, median | peak RSS | goal |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    print(f"ratio to goal, worst cell ({worst[0]}): median time / goal {worst[1]:.2f} (goal <= 1)")


if __name__ == "__main__":
    main()
