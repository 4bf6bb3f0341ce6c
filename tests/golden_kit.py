"""Golden files with an update mode that cannot pass: ``UPDATE_GOLDEN=1`` rewrites a golden file
that differs and then fails that test with "updated, re-run", so a run that changed what the
tests compare against never reports success (and CI with the variable set cannot bless a change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VAR = "UPDATE_GOLDEN"


def updating(var: str = VAR) -> bool:
    """Whether this run rewrites golden files (``VAR=1``)."""
    return os.environ.get(var) == "1"


def updated(paths: list[Path], var: str = VAR) -> None:
    """Fail the test: ``paths`` were rewritten in update mode and must be reviewed and re-run."""
    shown = ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths)
    pytest.fail(f"{shown}: updated, re-run without {var}=1 (and review the change)")


def check_golden(path: Path, text: str, var: str = VAR) -> None:
    """``text`` must be the golden file ``path``; in update mode a differing file is rewritten
    and the test fails."""
    have = path.read_text(encoding="utf-8") if path.exists() else None
    if updating(var) and have != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        updated([path], var)
    assert have is not None, f"{path} missing: run with {var}=1 to write it"
    assert text == have, f"{path.name} differs from the output: review, then rewrite with {var}=1"
