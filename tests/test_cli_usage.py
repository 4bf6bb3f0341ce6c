"""The parser's own errors are one line naming the command, exit 2, like every other bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "where", "needle"),
    [
        (["diff", "--format", "xml"], "driftctl diff", "'xml' is not one of"),
        (["verify"], "driftctl verify", "Missing argument"),
        (["nosuch"], "driftctl", "No such command 'nosuch'"),
        (["import", "--max-bundle-mb", "0", "b.tar.gz", "--trust", "t"], "driftctl import", "1"),
        (["keygen"], "driftctl keygen", "Missing option '--site'"),
        (["sites", "--bogus"], "driftctl sites", "No such option: --bogus"),
    ],
    ids=[
        "bad-choice",
        "missing-argument",
        "unknown-command",
        "out-of-range",
        "missing-option",
        "unknown-option",
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], where: str, needle: str) -> None:
    res = run(*args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"driftctl: error: {where}: ") and needle in lines[0]
    assert lines[0].endswith(f"(see '{where} --help')")
    assert res.stdout == ""


def test_no_arguments_prints_the_help_and_exits_2() -> None:
    res = run()
    assert res.returncode == 2
    assert "Commands:" in res.stderr and "preflight" in res.stderr


def test_help_and_version_exit_0() -> None:
    assert run("--help").returncode == 0
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("driftctl ")
