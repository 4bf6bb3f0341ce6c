"""The collect progress bar: drawn on stderr when it is a terminal, absent when it is not."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "fixtures" / "sites" / "capital"


def collect_args() -> list[str]:
    return [
        sys.executable,
        "-m",
        "driftctl",
        "collect",
        "--config",
        str(SITE / "site.yaml"),
        "--from-dump",
        str(SITE / "dump"),
        "--dry-run",
    ]


def test_progress_bar_on_a_terminal() -> None:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        collect_args(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        cwd=ROOT,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(primary)
    assert proc.wait(timeout=30) == 0
    text = seen.decode("utf-8", "replace")
    assert "\rreading dump [" in text
    assert "] 0/" in text and "done" in text
    assert "####################" in text  # the bar reaches the end


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    res = subprocess.run(collect_args(), capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "\r" not in res.stderr and "[####" not in res.stderr
