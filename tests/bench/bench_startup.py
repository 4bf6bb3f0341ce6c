"""Benchmark: start-up of whole ``driftctl`` processes against the bare interpreter.

Run by hand: ``.venv/bin/python tests/bench/bench_startup.py [--rounds 9]``.

Times ``driftctl --help`` (goal ≤ 0.3 s), ``driftctl diff`` of three verified bundles (≤ 0.6 s)
and ``python -c pass`` (the floor every Python tool pays), alternating; then lists, from one
``python -X importtime`` run of each command, the heavy packages it imported and the
slowest top-level imports. Ratio last: ``--help`` over the bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: driftctl
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bench/: benchkit

from benchkit import alternate, driftctl_argv, machine, ratio_line, run, user_env

from driftctl.bundle.keys import load_private_key
from driftctl.bundle.writer import write_bundle

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "tests" / "golden" / "diff" / "sites"
HEAVY = ("kubernetes", "paramiko", "deepdiff", "pydantic", "cryptography", "yaml")


def importtime(args: list[str]) -> tuple[list[str], list[tuple[float, str]]]:
    """Heavy packages imported, and the top-level imports by cumulative milliseconds."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "driftctl", *args],
        capture_output=True, text=True, cwd=ROOT, env=user_env(), check=False,
    ).stderr  # fmt: skip
    names, top = set(), []
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        names.add(name.strip().split(".")[0])
        if not name.startswith("  "):  # one space after the bar: imported by __main__ itself
            top.append((int(cumulative) / 1000, name.strip()))
    return sorted(names & set(HEAVY)), sorted(top, reverse=True)[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    rounds = parser.parse_args().rounds
    print(machine())
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-startup-") as tmp:
        base = Path(tmp)
        signers, bundles = [], []
        for path in sorted(SITES.glob("*.json")):
            site = path.stem
            out = run([*driftctl_argv(), "keygen", "--site", site, "--out-dir", str(base)])
            signers.append(out.stdout.decode().splitlines()[0])
            key = load_private_key(base / f"{site}_ed25519")
            snap = json.loads(path.read_text())
            bundles.append(str(write_bundle(base / "b", snap, [], {}, key, "bench").path))
        trust = base / "allowed_signers"
        trust.write_text("\n".join(signers) + "\n")
        diff = ["diff", *bundles, "--trust", str(trust), "--fail-on", "never"]
        floor, helps, diffs = alternate(
            [
                ("python -c pass", lambda: run([sys.executable, "-c", "pass"])),
                ("driftctl --help", lambda: run([*driftctl_argv(), "--help"])),
                ("driftctl diff (3 bundles)", lambda: run([*driftctl_argv(), *diff])),
            ],
            rounds,
        )
        for series in (floor, helps, diffs):
            print(series.line())
        for args in (["--help"], diff):
            heavy, top = importtime(args)
            label = " ".join(["driftctl", *args[:1]])
            print(f"{label}: heavy packages imported: {', '.join(heavy) or 'none'}")
            print("  slowest top-level imports: " + ", ".join(f"{n} {ms:.0f} ms" for ms, n in top))
    print(
        f"goals: --help <= 0.3 s (median {helps.median:.3f} s), diff <= 0.6 s ({diffs.median:.3f} s)"
    )
    print(ratio_line(helps, floor, "as close to 1 as imports allow"))


if __name__ == "__main__":
    main()
