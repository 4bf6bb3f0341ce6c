"""Run ``driftctl`` as a user does and measure that process alone: wall time and peak RSS.

``ru_maxrss`` from wait4 is no use here: Linux keeps the parent's resident size from before the
child's exec in it, so a child of a 130 MiB pytest "peaks" at 130 MiB whatever it does. The
child reports its own ``VmHWM`` (high-water RSS of its post-exec memory) at exit instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# `python -m driftctl ARGS` plus, at exit, VmHWM written to the file named by $KUBE_KIT_HWM.
LAUNCHER = """
import atexit, os, runpy, sys
def _report():
    with open("/proc/self/status") as f:
        hwm = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["KUBE_KIT_HWM"], "w") as out:
        out.write(hwm)
atexit.register(_report)
sys.argv[0] = "driftctl"
runpy.run_module("driftctl", run_name="__main__", alter_sys=True)
"""


def _vm_hwm(pid: int) -> str:
    with open(f"/proc/{pid}/status") as f:
        return next(line.split()[1] for line in f if line.startswith("VmHWM:"))


@dataclass(frozen=True)
class Measured:
    """One finished (or killed) ``driftctl`` process."""

    code: int | None  # None when killed
    stderr: str
    wall: float
    peak_mib: float


def run_driftctl(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, kill_after: float = 120.0
) -> Measured:
    """Run ``driftctl ARGS``; kill it after ``kill_after`` seconds (then ``code`` is None)."""
    with tempfile.TemporaryDirectory() as tmp:
        hwm = Path(tmp) / "hwm"
        err_path = Path(tmp) / "stderr"
        child_env = {**(env or os.environ), "KUBE_KIT_HWM": str(hwm)}
        started = time.monotonic()
        with err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=cwd,
                env=child_env,
            )
            try:
                code: int | None = proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                hwm.write_text(_vm_hwm(proc.pid))  # atexit never runs after SIGKILL
                proc.kill()
                proc.wait()
                code = None
        wall = time.monotonic() - started
        peak = int(hwm.read_text()) / 1024 if hwm.exists() else float("nan")
        return Measured(code, err_path.read_text(errors="replace"), wall, peak)
