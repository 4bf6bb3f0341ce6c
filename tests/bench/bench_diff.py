"""Benchmark: ``driftctl diff`` over a store of 50 sites × 20 000 facts vs DeepDiff over N−1 pairs.

Run by hand: ``.venv/bin/python tests/bench/bench_diff.py [--sites 50] [--facts 20000]``.

Both sides are whole processes reading the same snapshots: ``driftctl diff --store S --format
json`` (start-up, store loading, flattening, comparing, rendering) and a Python process that
loads the same snapshots as JSON files and runs ``DeepDiff(first, other)`` for each of the
N−1 other sites — the sensible use of a two-way tool for an N-way question (one baseline),
not all N(N−1)/2 pairs. DeepDiff compares raw values; driftctl normalises first, so it has
more to do per fact. The sites come from tests/bench/fleet.py (real collector output,
drifted). Goal: driftctl ≤ 1.5 s; the ratio driftctl / DeepDiff is printed last.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit, fleet

from benchkit import alternate, driftctl_argv, machine, ratio_line, run
from fleet import build_store

DEEPDIFF = """
import json, sys
from deepdiff import DeepDiff
snaps = [json.load(open(p)) for p in sys.argv[1:]]
changed = sum(len(DeepDiff(snaps[0], other)) for other in snaps[1:])
print(changed)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--facts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-diff-") as tmp:
        store, files = build_store(Path(tmp), args.sites, args.facts)
        ours_argv = [*driftctl_argv(), "diff", "--store", str(store), "--format", "json"]
        theirs_argv = [sys.executable, "-c", DEEPDIFF, *map(str, files)]
        ours, theirs = alternate(
            [
                ("driftctl diff", lambda: run(ours_argv, ok=(0, 1))),
                (f"DeepDiff x {args.sites - 1}", lambda: run(theirs_argv)),
            ],
            args.rounds,
        )
        print(f"-- {args.sites} sites x {args.facts} facts, {args.rounds} rounds")
        print(ours.line())
        print(theirs.line())
        print(f"driftctl diff goal: <= 1.5 s at 50 x 20k (median {ours.median:.2f} s)")
        print(ratio_line(ours, theirs, "< 1: faster than DeepDiff against one baseline"))


if __name__ == "__main__":
    main()
