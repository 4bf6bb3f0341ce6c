"""Run the ``helm`` binary: found on PATH or given, bounded in time, its error in one line."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftctl.errors import InputError, OperationalError
from driftctl.release.model import DEFAULT_HELM_TIMEOUT as DEFAULT_TIMEOUT

MAX_OUTPUT = 256 * 1024 * 1024
GET_HELM = (
    "install helm 3 or 4 (https://helm.sh/docs/intro/install/, or the static binary from its "
    "release tarball) or give --helm BIN"
)


@dataclass(frozen=True)
class Helm:
    """A helm binary and the time one call may take."""

    binary: str
    timeout: float = DEFAULT_TIMEOUT

    def run(self, args: Sequence[str], what: str) -> bytes:
        """stdout of ``helm ARGS``; helm's refusal is bad input (exit 2), a hang exit 3."""
        try:
            proc = subprocess.Popen(
                [self.binary, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # so a timeout can kill helm and whatever it started
            )
        except OSError as exc:
            raise InputError(
                f"{self.binary}: cannot run helm ({exc.strerror}); {GET_HELM}"
            ) from None
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise OperationalError(
                f"{what}: helm did not finish within {self.timeout:g} s and was killed"
            ) from None
        if proc.returncode != 0:
            raise InputError(
                f"{what}: helm refused it: {_one_line(err) or f'exit {proc.returncode}'}"
            )
        if len(out) > MAX_OUTPUT:
            raise InputError(f"{what}: helm printed more than {MAX_OUTPUT} bytes")
        return out


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _one_line(stderr: bytes) -> str:
    """helm's own error: the ``Error:`` line if there is one, else the last line, one line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    line = (errors or lines or [""])[-1]
    line = line.removeprefix("Error:").strip()
    return line if len(line) <= 500 else line[:499] + "…"


def find_helm(given: str | None, timeout: float = DEFAULT_TIMEOUT) -> Helm:
    """``--helm BIN`` or ``helm`` on PATH; missing is bad input saying how to get it."""
    if given is not None:
        path = Path(given)
        if os.sep in given or path.exists():
            if not path.is_file() or not os.access(path, os.X_OK):
                raise InputError(f"--helm {given}: not an executable file; {GET_HELM}")
            return Helm(str(path), timeout)
        found = shutil.which(given)
        if found is None:
            raise InputError(f"--helm {given}: not found on PATH; {GET_HELM}")
        return Helm(found, timeout)
    found = shutil.which("helm")
    if found is None:
        raise InputError(f"--chart needs the helm binary, which is not on PATH: {GET_HELM}")
    return Helm(found, timeout)
