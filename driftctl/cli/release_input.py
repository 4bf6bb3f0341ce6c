"""The release inputs shared by ``preflight`` and ``report``: one option set, one loader.

A new way to give the planned push (rendered manifests, a chart) is added here once, and both
commands take it in the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from driftctl.policy.model import Release


def release_option(required: bool) -> Any:
    """``--release FILE``: required for ``preflight``, optional for ``report``."""
    return typer.Option(
        ... if required else None,
        "--release",
        "-r",
        help="The planned push (YAML; see docs/policy.md).",
    )


def policy_option() -> Any:
    return typer.Option(
        None,
        "--policy",
        "-p",
        help="Policy YAML [default: the packaged manifests/compat.yaml].",
    )


def max_age_option() -> Any:
    return typer.Option(
        "14d", "--max-age", metavar="DURATION", help="Oldest snapshot vouched for: 14d, 36h, 90m."
    )


def allow_stale_option() -> Any:
    return typer.Option(
        False, "--allow-stale", help="A stale or missing snapshot warns instead of blocking."
    )


def load_planned(release: Path) -> Release:
    """The planned push from whichever release input was given."""
    from driftctl.policy.release import load_release

    return load_release(release)
