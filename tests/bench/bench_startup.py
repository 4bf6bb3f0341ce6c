"""Benchmark: wall time of ``driftctl --help`` (goal ≤ 0.3 s) and ``diff`` of three bundles (≤ 0.6 s).

Run by hand: ``.venv/bin/python tests/bench/bench_startup.py [--runs 7]``; prints the median of
each, and which heavy modules each run imported (none should be kubernetes/paramiko/deepdiff).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from driftctl.bundle.keys import load_private_key  # noqa: E402
from driftctl.bundle.writer import write_bundle  # noqa: E402

SITES = ROOT / "tests" / "golden" / "diff" / "sites"
HEAVY = ("kubernetes", "paramiko", "deepdiff", "cryptography")


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def timed(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(["-m", "driftctl", *args])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_imports(args: list[str]) -> list[str]:
    err = run(["-X", "importtime", "-m", "driftctl", *args]).stderr
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0] for line in err.splitlines() if "|" in line
    }
    return sorted(names & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        signers, bundles = [], []
        for path in sorted(SITES.glob("*.json")):
            site = path.stem
            out = run(["-m", "driftctl", "keygen", "--site", site, "--out-dir", str(base)])
            signers.append(out.stdout.splitlines()[0])
            key = load_private_key(base / f"{site}_ed25519")
            snap = json.loads(path.read_text())
            bundles.append(str(write_bundle(base / "b", snap, [], {}, key, "bench").path))
        trust = base / "allowed_signers"
        trust.write_text("\n".join(signers) + "\n")
        diff = ["diff", *bundles, "--trust", str(trust), "--fail-on", "never"]
        help_s = timed(["--help"], runs)
        diff_s = timed(diff, runs)
        print(f"driftctl --help: {help_s:.3f} s median of {runs} (goal <= 0.3 s)")
        print(f"  heavy imports: {heavy_imports(['--help']) or 'none'}")
        print(
            f"driftctl diff (3 bundles, verified): {diff_s:.3f} s median of {runs} (goal <= 0.6 s)"
        )
        print(f"  heavy imports: {heavy_imports(diff) or 'none'}")


if __name__ == "__main__":
    main()
