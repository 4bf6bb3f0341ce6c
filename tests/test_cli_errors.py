"""How ``main(argv)`` ends a run that did not go to plan: a bug anywhere is exit 3 and one line
(the traceback only at -vv), never exit 1 (findings) and never a traceback; Ctrl-C is 130 and a
reader that went away 141. Crashes are injected into core functions on a real code path; what
is tested is the CLI's handler."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cli_kit
import pytest
from fleet_kit import Fleet

from driftctl.cli import BROKEN_PIPE, INTERRUPTED, main
from driftctl.errors import ExitCode

ROOT = Path(__file__).parent.parent
SITES = ROOT / "tests" / "golden" / "diff" / "sites"
DIFF = ["diff", *(f"--snapshot={SITES / n}.json" for n in ("capital", "utility"))]


def crash(exc: BaseException) -> Callable[..., None]:
    """A stand-in for a core function that raises ``exc`` as a bug would."""

    def boom(*args: object, **kwargs: object) -> None:
        raise exc

    return boom


CRASHES = [
    ("diff", "driftctl.diff.diff_snapshots", DIFF, ZeroDivisionError("division by zero")),
    ("diff-render", "driftctl.formats.diff.render", DIFF, KeyError("category")),
    (
        "preflight",
        "driftctl.policy.evaluate.evaluate",
        ["preflight", "--release", "manifests/release.example.yaml", "--store", "{store}"],
        AttributeError("'NoneType' object has no attribute 'seq'"),
    ),
    (
        "inspect",
        "driftctl.bundle.inspect.inspect_bundle",
        ["inspect", "{bundle}"],
        RecursionError("maximum recursion depth exceeded"),
    ),
    (
        "oserror-in-core",
        "driftctl.diff.diff_snapshots",
        DIFF,
        OSError(28, "No space left on device"),
    ),
    (
        "hostile-message",
        "driftctl.diff.diff_snapshots",
        DIFF,
        ValueError("line one\nline two \x1b]52;c;cHduZWQ=\x07"),
    ),
]


@pytest.mark.parametrize(
    ("target", "args", "exc"), [c[1:] for c in CRASHES], ids=[c[0] for c in CRASHES]
)
def test_a_crash_in_the_core_is_exit_3_and_one_line(
    monkeypatch: pytest.MonkeyPatch, fleet: Fleet, target: str, args: list[str], exc: Exception
) -> None:
    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", crash(exc))
    args = [a.format(store=fleet.store, bundle=fleet.bundle("capital")) for a in args]
    res = cli_kit.invoke(*args)
    assert res.returncode == ExitCode.OPERATIONAL == 3, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"driftctl: error: internal error: {type(exc).__name__}: ")
    assert lines[0].endswith("(a bug in driftctl; -vv shows the traceback)")
    assert "\x1b" not in res.stderr and res.stdout == ""


def test_the_traceback_shows_at_vv_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("driftctl.diff.diff_snapshots", crash(ZeroDivisionError("boom")))
    assert main(DIFF) == 3
    quiet = capsys.readouterr().err
    assert "Traceback" not in quiet and quiet.count("\n") == 1
    assert main(["-vv", *DIFF]) == 3
    loud = capsys.readouterr().err
    assert "Traceback (most recent call last):" in loud and "ZeroDivisionError: boom" in loud
    assert loud.rstrip().splitlines()[-1].startswith("driftctl: error: internal error:")
    assert main(DIFF) == 3  # the next run in this process is quiet again
    assert "Traceback" not in capsys.readouterr().err
    logging.getLogger("driftctl").handlers.clear()


def test_ctrl_c_in_the_core_is_130(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("driftctl.diff.diff_snapshots", crash(KeyboardInterrupt()))
    res = cli_kit.invoke(*DIFF)
    assert res.returncode == INTERRUPTED == 130
    assert res.stderr == "driftctl: interrupted\n"


def test_an_expected_error_keeps_its_code_and_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from driftctl.errors import BundleRejected

    monkeypatch.setattr("driftctl.diff.diff_snapshots", crash(BundleRejected("x: tampered")))
    res = cli_kit.invoke(*DIFF)
    assert (res.returncode, res.stderr) == (4, "driftctl: error: x: tampered\n")


def test_a_reader_that_went_away_is_141_and_silent() -> None:
    """``driftctl dump-script | true``: the pipe is closed before driftctl writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        res = subprocess.run(
            [sys.executable, "-m", "driftctl", "dump-script"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        os.close(write)
    assert res.returncode == BROKEN_PIPE == 141, res.stderr
    assert res.stderr == ""
