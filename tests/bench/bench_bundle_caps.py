"""Benchmark: what hostile snapshots cost ``driftctl verify`` before they are refused.

Run by hand: ``.venv/bin/python tests/bench/bench_bundle_caps.py [--workloads 1000000]``.
Each case is a bundle signed by a trusted key, so it reaches the reader and the manifest
step; the real CLI verifies it in a fresh process. Figures: wall and CPU seconds (CPU is
what the load of a shared machine does not inflate) and peak RSS. Cases: the audit's 10^6
workloads as compact JSON (a few MB on disk), the same with empty workloads (only the
workload cap catches it), a snapshot just over the value cap, and, for scale, an accepted
snapshot of 40,000 realistic workloads in canonical form.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import goal_line  # noqa: E402
from bundle_kit import bundle_from, snapshot, write_signed  # noqa: E402

from driftctl.bundle import NAMESPACE  # noqa: E402
from driftctl.bundle.keys import generate_key, load_private_key  # noqa: E402
from driftctl.bundle.reader import Limits  # noqa: E402
from driftctl.bundle.writer import build_members  # noqa: E402

SITE = "bench"
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "dt = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(p.returncode, dt, u.ru_utime + u.ru_stime, u.ru_maxrss)\n"
    "print(p.stderr.strip()[-160:])\n"
)


def workload(i: int) -> dict[str, Any]:
    """A realistic workload: about 45 values, as a production Deployment has."""
    return {
        "kind": "Deployment",
        "replicas": 3,
        "labels": {f"app.kubernetes.io/l{j}": f"value-{j}" for j in range(6)},
        "annotations": {f"example.com/a{j}": f"note-{j}" for j in range(3)},
        "template_labels": {f"app.kubernetes.io/l{j}": f"value-{j}" for j in range(6)},
        "template_annotations": {"checksum/config": hashlib.sha256(b"%d" % i).hexdigest()},
        "containers": {
            "app": {
                "image": f"registry.local/team/app-{i % 300}:1.{i % 40}.0",
                "image_id": "sha256:" + hashlib.sha256(b"i%d" % i).hexdigest(),
                "env": {f"SETTING_{j}": str(j) for j in range(8)},
            }
        },
        "nodes": [f"node-{(i + k) % 2000}" for k in range(3)],
    }


def bundle(base: Path, name: str, snap: dict[str, Any], compact: bool, key: Any) -> Path:
    items = build_members(snapshot(SITE), [("nodes/n/x", b"x")], {"total": 0}, "bench", 1, None)
    body = json.dumps(snap, separators=(",", ":")) if compact else json.dumps(snap, indent=2)
    items[1] = ("snapshot.json", body.encode())
    manifest = json.loads(items[0][1])
    manifest["files"] = [
        {"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in items[1:]
    ]
    items[0] = ("manifest.json", json.dumps(manifest).encode())
    return write_signed(base / f"{name}.tar.gz", bundle_from(items), key)


def measure(path: Path, trust: Path) -> tuple[int, float, float, int, str]:
    """Exit code, wall and CPU seconds (CPU is what a shared machine's load does not inflate),
    peak RSS in KiB, and the last of stderr."""
    cmd = [sys.executable, "-m", "driftctl", "verify", str(path), "--trust", str(trust)]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.splitlines()
    rc, seconds, cpu, rss = out[0].split()
    return int(rc), float(seconds), float(cpu), int(rss), out[1] if len(out) > 1 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", type=int, default=10**6)
    parser.add_argument("--accepted", type=int, default=40_000)
    args = parser.parse_args()
    limits = Limits()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        private, _ = generate_key(SITE, base / "keys")
        key = load_private_key(private)
        trust = base / "allowed_signers"
        trust.write_text(f'{SITE} namespaces="{NAMESPACE}" {key.public_line()}\n')
        n = args.workloads
        cases: dict[str, Callable[[], tuple[dict[str, Any], bool]]] = {
            f"{n} workloads, one container each, compact": lambda: (
                snapshot(SITE, workloads={f"ns/Deployment/w{i}": {"containers": {"c": {"image": "r/i:1"}}} for i in range(n)}),
                True,
            ),
            f"{n} empty workloads, compact": lambda: (
                snapshot(SITE, workloads={f"ns/Deployment/w{i}": {} for i in range(n)}),
                True,
            ),
            f"{limits.snapshot_values + 1000} values in Helm values, compact": lambda: (
                snapshot(SITE, helm={"ns/r": {"values": {f"k{i}": i for i in range(limits.snapshot_values + 1000)}}}),
                True,
            ),
            f"{args.accepted} realistic workloads, canonical (accepted)": lambda: (
                snapshot(SITE, workloads={f"ns/Deployment/w{i}": workload(i) for i in range(args.accepted)}),
                False,
            ),
        }  # fmt: skip
        print(f"caps: {limits.snapshot_values} values, {limits.snapshot_workloads} workloads, "
              f"snapshot.json {limits.member_bytes >> 20} MiB")  # fmt: skip
        cpus: dict[bool, list[float]] = {True: [], False: []}  # refused, accepted
        for i, (label, make) in enumerate(cases.items()):
            snap, compact = make()
            started = time.perf_counter()
            path = bundle(base, f"case{i}", snap, compact, key)
            built = time.perf_counter() - started
            del snap
            rc, seconds, cpu, rss, err = measure(path, trust)
            cpus[rc != 0].append(cpu)
            print(
                f"{label}: {path.stat().st_size / 1e6:.1f} MB on disk (built in {built:.1f} s); "
                f"verify exit {rc} in {seconds:.2f} s wall, {cpu:.2f} s CPU, "
                f"peak RSS {rss / 1024:.0f} MiB"
            )
            if err:
                print(f"    {err}")
        worst, accepted = max(cpus[True]), max(cpus[False])
        print(
            goal_line(
                "costliest refusal's CPU over the accepted snapshot's", worst / accepted, 2, "x"
            )
        )


if __name__ == "__main__":
    main()
