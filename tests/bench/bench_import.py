"""Benchmark: ``driftctl import`` of 500 bundles of one site in random order, in one command.

Run by hand: ``.venv/bin/python tests/bench/bench_import.py [--bundles 500] [--workloads 200]``.
Every bundle arrives late except the newest, so each import checks its neighbours, writes its
seq directory and state, and commits one ledger line, all fsync'd on the real disk (the store
is made under the repository's .cache/, not a tmpfs). Goal: 500 bundles in ≤ 30 s.
Prints the wall time, the time per bundle, the peak RSS, and the resulting store.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import goal_line  # noqa: E402
from snapshot_kit import container, snapshot_dict, workload  # noqa: E402

from driftctl.bundle import NAMESPACE  # noqa: E402
from driftctl.bundle.keys import generate_key, load_private_key  # noqa: E402
from driftctl.bundle.writer import write_bundle  # noqa: E402

SITE = "bench"
START = datetime(2025, 1, 1, tzinfo=UTC)  # hourly collections, all in the past


def snapshot(i: int, workloads: int) -> dict[str, object]:
    """A site with ``workloads`` workloads of two containers; one image changes per bundle."""
    collected = (START + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return snapshot_dict(
        SITE,
        collected,
        workloads={
            f"ns{w % 7}/Deployment/app-{w}": workload(
                {
                    "main": container(f"registry.local/app-{w}:{1 + (i if w == 0 else 0)}.0"),
                    "sidecar": container("registry.local/proxy:1.25"),
                }
            )
            for w in range(workloads)
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=500)
    parser.add_argument("--workloads", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    (ROOT / ".cache").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="bench-import-", dir=ROOT / ".cache"))
    try:
        private, _ = generate_key(SITE, base / "keys")
        key = load_private_key(private)
        trust = base / "allowed_signers"
        trust.write_text(f'{SITE} namespaces="{NAMESPACE}" {key.public_line()}\n')
        t = time.perf_counter()
        paths = [
            write_bundle(base / "out", snapshot(i, args.workloads), [], {}, key, "bench").path
            for i in range(args.bundles)
        ]
        built = time.perf_counter() - t
        random.Random(args.seed).shuffle(paths)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        store = base / "store"
        cmd = [sys.executable, "-m", "driftctl", "import", *map(str, paths)]
        cmd += ["--trust", str(trust), "--store", str(store)]
        t = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
        wall = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if res.returncode != 0:
            raise SystemExit(f"import failed ({res.returncode}): {res.stderr[-2000:]}")
        history = sum(line.startswith("imported as history") for line in res.stdout.splitlines())
        sites = subprocess.run(
            [sys.executable, "-m", "driftctl", "sites", "--store", str(store), "-f", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
        (row,) = json.loads(sites.stdout)["sites"]
        print(f"built {args.bundles} bundles of {size / 1024:.1f} KB in {built:.2f} s")
        print(
            f"import of {args.bundles} bundles in random order: {wall:.2f} s "
            f"({wall / args.bundles * 1000:.1f} ms per bundle), peak RSS {rss:.0f} MB"
        )
        print(
            f"store: latest seq {row['seq']}, {row['history']} history bundles "
            f"({history} arrived late), gaps {row['gaps'] or 'none'}"
        )
        print(goal_line(f"import of {args.bundles} bundles", wall, 30 * args.bundles / 500))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
