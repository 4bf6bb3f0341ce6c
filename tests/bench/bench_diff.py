"""Benchmark: ``diff`` over 50 sites × 20 000 facts (goal ≤ 2 s, ≤ 500 MB) against pairwise DeepDiff.

Run by hand: ``.venv/bin/python tests/bench/bench_diff.py [--sites 50] [--pairs 6]``.
DeepDiff compares two raw snapshots per call with no normalisation, so an N-way report needs
every pair (N·(N-1)/2 calls); it is timed on ``--pairs`` pairs and extrapolated.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from driftctl.diff import diff_snapshots
from driftctl.diff.flatten import flatten
from driftctl.snapshot import Snapshot


def make_site(n: int, rng: random.Random) -> dict[str, Any]:
    """A synthetic snapshot of about 20 000 flat facts; a few values drift per site."""

    def drift(base: Any, alt: Any, p: float = 0.002) -> Any:
        return alt if rng.random() < p else base

    helm = {
        f"ns{r}/rel{r}": {
            "chart": f"chart{r}",
            "chart_version": drift("1.2.3", "1.2.4"),
            "app_version": "v2.0.0",
            "revision": rng.randint(1, 40),
            "status": "deployed",
            "values": {
                f"group{g}": {f"key{k}": drift(k * g, k * g + 1) for k in range(50)}
                for g in range(20)
            },
        }
        for r in range(10)
    }
    workloads = {
        f"ns{w % 10}/Deployment/app{w}": {
            "kind": "Deployment",
            "replicas": drift(2, 3),
            "labels": {"app": f"app{w}", "tier": "web"},
            "annotations": {},
            "template_labels": {"app": f"app{w}", "pod-template-hash": f"{rng.random():.8f}"},
            "template_annotations": {},
            "containers": {
                f"c{c}": {
                    "image": f"mirror{n}.local/team/app{w}:{drift('1.0.0', '1.0.1')}",
                    "image_id": "sha256:" + "ab" * 32,
                    "env": {"A": "1", "B": drift("x", "y")},
                }
                for c in range(2)
            },
            "nodes": [f"n{n}-{w % 20}"],
        }
        for w in range(660)
    }
    components = {
        f"comp{c}": {"workload": f"ns0/Deployment/app{c}", "version": drift("3.1.0", "2.4.0")}
        for c in range(100)
    }
    nodes = {
        f"site{n}-node{i}": {
            "roles": ["control-plane"] if i < 3 else [],
            "internal_ip": f"10.{n}.0.{i}",
            "kubelet_version": "v1.29.3",
            "gpu": {
                "source": "nvidia-smi",
                "driver_version": drift("550.54.15", "535.104.05", 0.01),
                "cuda_version": "12.4",
                "product": None,
                "count": None,
            },
            "time": {
                "synchronized": drift(True, False, 0.01),
                "offset_seconds": rng.uniform(-0.01, 0.01),
                "stratum": 3,
                "source": "chrony",
                "leap_status": "Normal",
                "reference": None,
            },
        }
        for i in range(20)
    }
    return {
        "schema": "driftctl.snapshot/v1",
        "site": f"site-{n:02d}",
        "collected_at": "2026-11-20T00:00:00Z",
        "kubernetes": {"server_version": "v1.29.3+k3s1", "cluster_uid": f"uid-{n}"},
        "workloads": workloads,
        "components": components,
        "helm": helm,
        "nodes": nodes,
        "failures": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(42)
    raw = [(f"site-{n:02d}", make_site(n, rng)) for n in range(args.sites)]
    start = time.perf_counter()
    snaps = [(site, Snapshot.from_dict(doc)) for site, doc in raw]
    parse = time.perf_counter() - start
    facts = len(flatten(*snaps[0]).values)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    report = diff_snapshots(snaps)
    ours = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sites={args.sites} facts/site={facts} keys={report.facts}")
    print(f"strict Snapshot.from_dict of all {args.sites} sites: {parse:.2f} s")
    print(f"driftctl diff: {ours:.2f} s (goal <= 2 s); {report.summary_line()}")
    print(f"peak RSS: {rss:.0f} MB (inputs alone {rss_before:.0f} MB; goal <= 500 MB)")

    from deepdiff import DeepDiff

    pairs = [(raw[i][1], raw[i + 1][1]) for i in range(min(args.pairs, args.sites - 1))]
    start = time.perf_counter()
    for a, b in pairs:
        DeepDiff(a, b)
    per_pair = (time.perf_counter() - start) / len(pairs)
    all_pairs = args.sites * (args.sites - 1) // 2
    theirs = per_pair * all_pairs
    print(
        f"DeepDiff pairwise: {per_pair:.2f} s/pair x {all_pairs} pairs = {theirs:.0f} s "
        f"(extrapolated from {len(pairs)} pairs)"
    )
    print(f"ratio: driftctl is {theirs / ours:.0f}x faster (goal >= 10x)")


if __name__ == "__main__":
    main()
