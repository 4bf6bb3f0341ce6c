"""Startup stays fast: ``--help`` and ``diff`` never import kubernetes, paramiko or deepdiff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
HEAVY = ("kubernetes", "paramiko", "deepdiff")
SITES = ROOT / "tests" / "golden" / "diff" / "sites"


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Top-level names of every module the interpreter imported, from ``-X importtime``."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    names = set()
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    return names, res


CASES = [
    ["--help"],
    ["diff", "--help"],
    ["preflight", "--help"],
    [
        "diff",
        "--fail-on",
        "never",
        *(f"--snapshot={SITES / n}" for n in ("capital.json", "utility.json")),
    ],
]


@pytest.mark.parametrize("args", CASES, ids=["help", "diff-help", "preflight-help", "diff-run"])
def test_no_heavy_imports(args: list[str]) -> None:
    names, res = imported_modules(*args)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "typer" in names and "driftctl" in names  # the parse saw real imports
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
