"""Benchmark: ``driftctl verify`` against ``ssh-keygen -Y verify`` on the same bundle; peak RSS.

Run by hand: ``.venv/bin/python tests/bench/bench_verify.py [--sizes 20,200] [--repeat 3]``.
Bundles carry incompressible evidence so the .tar.gz is about the given size in MB. Goals:
time ratio driftctl/ssh-keygen ≤ 1.2 (both include process start), and a peak RSS that does
not grow with the bundle size (the file is stream-hashed and members are hashed, not held).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from driftctl.bundle import NAMESPACE  # noqa: E402
from driftctl.bundle.keys import generate_key, load_private_key  # noqa: E402
from driftctl.bundle.writer import write_bundle  # noqa: E402

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], 'rb'), stdout=subprocess.DEVNULL).returncode\n"
    "dt = time.perf_counter() - t\n"
    "print(rc, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(cmd: list[str], stdin: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of ``cmd`` run in a fresh parent (so RSS is its own)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(stdin), *cmd],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return float(out[1]), int(out[2])


def build(base: Path, size_mb: int) -> tuple[Path, Path]:
    private, _ = generate_key("bench", base / "keys")
    key = load_private_key(private)
    trust = base / "allowed_signers"
    trust.write_text(f'bench namespaces="{NAMESPACE}" {key.public_line()}\n')
    chunk = 32 << 20
    evidence = []
    remaining = size_mb << 20
    i = 0
    while remaining > 0:
        n = min(chunk, remaining)
        evidence.append((f"nodes/n{i:03d}/blob.bin", os.urandom(n)))
        remaining -= n
        i += 1
    snap = {
        "site": "bench",
        "collected_at": "2026-11-22T00:00:00Z",
        "kubernetes": {},
        "failures": [],
    }
    written = write_bundle(base / "out", snap, evidence, {"total": 0}, key, "bench")
    return written.path, trust


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20,200", help="bundle sizes in MB, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'MB':>5} {'driftctl s':>11} {'ssh-keygen s':>13} {'ratio':>6} {'driftctl RSS MB':>16}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            bundle, trust = build(Path(tmp), size)
            ours_cmd = [
                sys.executable,
                "-m",
                "driftctl",
                "verify",
                str(bundle),
                "--trust",
                str(trust),
            ]
            theirs_cmd = [
                "ssh-keygen",
                "-Y",
                "verify",
                "-f",
                str(trust),
                "-I",
                "bench",
                "-n",
                NAMESPACE,
            ]
            theirs_cmd += ["-s", f"{bundle}.sig"]
            os.chdir(ROOT)
            measure(ours_cmd, bundle)  # warm the page cache for both
            ours = [measure(ours_cmd, bundle) for _ in range(args.repeat)]
            theirs = [measure(theirs_cmd, bundle) for _ in range(args.repeat)]
            t_ours = min(t for t, _ in ours)
            t_theirs = min(t for t, _ in theirs)
            rss = max(r for _, r in ours) / 1024
            actual = bundle.stat().st_size / (1 << 20)
            print(
                f"{actual:5.0f} {t_ours:11.3f} {t_theirs:13.3f} {t_ours / t_theirs:6.2f} {rss:16.1f}"
            )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(bench took {time.perf_counter() - start:.1f} s)", file=sys.stderr)
