"""Shared by the release-gate tests: the real CLI and the real helm (the fixture fleet is the
shared ``fleet`` fixture of tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_kit import run

ROOT = Path(__file__).parent.parent
SITES_DIR = ROOT / "fixtures" / "sites"
FLEET = ("capital", "holding", "public-institution", "savings-bank", "utility")
CHART = ROOT / "fixtures" / "charts" / "docai"
SITE_VALUES = ROOT / "fixtures" / "charts" / "site-values"
CHART_ARGS = ("--release-name", "docai", "--namespace", "ai-platform")


def helm_path() -> str:
    """The helm binary from tests/tools/fetch_kubectl.sh; fails (never skips) when absent."""
    found = ROOT / ".cache" / "tools" / "bin" / "helm"
    if found.is_file() and os.access(found, os.X_OK):
        return str(found)
    other = shutil.which("helm")
    if other:
        return other
    pytest.fail("helm not found: run tests/tools/fetch_kubectl.sh (CI runs it in tests/run.sh)")


def driftctl(
    *args: str, stdin: str | None = None, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI; a traceback is always a failure (``cli_kit.run``)."""
    return run(*args, stdin=stdin, cwd=cwd, timeout=timeout)


def helm_template(*values: Path, namespace: str = "ai-platform") -> str:
    """What `helm template docai fixtures/charts/docai -n NS -f …` prints (the real helm)."""
    args = [helm_path(), "template", "docai", str(CHART), "--namespace", namespace]
    for path in values:
        args += ["--values", str(path)]
    res = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
    return res.stdout


def verdicts(table: str) -> dict[str, str]:
    """Site → verdict from a preflight table."""
    lines = table.splitlines()[2:]
    return {ln.split()[0]: ln.split()[1] for ln in lines if ln and not ln.startswith(" ")}
