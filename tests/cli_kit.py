"""The one way tests run the real CLI as a subprocess: no traceback, JSON reports validated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema_kit import check_cli_json

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m driftctl ARGS``; a traceback is always a failure, and a JSON report printed by
    ``diff``/``preflight`` must match its published schema."""
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
    assert "Traceback" not in res.stderr, res.stderr
    if res.returncode in (0, 1):
        check_cli_json(args, res.stdout)
    return res
