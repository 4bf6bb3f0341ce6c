"""The two ways tests run the real CLI: in-process through ``main(argv)`` (``invoke``), and as a
subprocess (``run``) where the process itself is what is tested (signals, start-up imports,
the console script, file descriptors). Both refuse a traceback and validate JSON reports."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from schema_kit import check_cli_json

from driftctl.cli import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    """What one in-process run gave, named as ``subprocess.CompletedProcess`` names it."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def _checked(args: tuple[str, ...], returncode: int, stdout: str, stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    if returncode in (0, 1):
        check_cli_json(args, stdout)


@contextlib.contextmanager
def _process_state(env: Mapping[str, str] | None, cwd: Path | None) -> Iterator[None]:
    """The environment and working directory of one run, put back afterwards."""
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def invoke(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = ROOT,
    stdin: bytes = b"",
) -> Result:
    """``driftctl ARGS`` in this process via ``main(argv)``: stdout, stderr and stdin are fresh
    UTF-8 streams (not terminals), ``env`` (when given) is the whole environment, as for a
    subprocess. Faster than ``run`` by the interpreter start-up and the imports."""
    out, err = io.BytesIO(), io.BytesIO()
    # As Python sets its own streams up under a UTF-8 locale: stdout strict, stderr lenient.
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True),
    )
    saved = sys.stdin, sys.stdout, sys.stderr
    with _process_state(env, cwd):
        sys.stdin, sys.stdout, sys.stderr = streams
        try:
            code = main(list(args))
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    stdout = out.getvalue().decode("utf-8", "replace")
    stderr = err.getvalue().decode("utf-8", "replace")
    _checked(args, code, stdout, stderr)
    return Result(args, code, stdout, stderr, out.getvalue())


def run(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m driftctl ARGS`` as a subprocess: for what only a real process shows."""
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        input=stdin,
    )
    _checked(args, res.returncode, res.stdout, res.stderr)
    return res
