"""Shell completion through typer: commands, options and choice values complete in bash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIFTCTL = Path(sys.executable).parent / "driftctl"


def complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {
        **os.environ,
        "_DRIFTCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    res = subprocess.run([str(DRIFTCTL)], capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("driftctl pre", ["preflight"]),
        ("driftctl diff --fa", ["--fail-on"]),
        ("driftctl diff --format ", ["table", "json", "markdown", "junit", "html"]),
        ("driftctl preflight --format j", ["json", "junit"]),
    ],
    ids=["command", "option", "choices", "choice-prefix"],
)
def test_bash_completion(words: str, expected: list[str]) -> None:
    assert complete(words) == expected


def test_show_completion_prints_a_bash_function() -> None:
    res = subprocess.run(
        [str(DRIFTCTL), "--show-completion", "bash"], capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 0
    assert "_driftctl_completion()" in res.stdout
