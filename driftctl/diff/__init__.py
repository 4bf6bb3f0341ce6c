"""Cross-site drift: flatten snapshots, normalise values, compare N sites, apply ignore rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from driftctl.diff.engine import DiffReport, Finding, Ignored, compare
from driftctl.diff.flatten import SiteFacts, flatten
from driftctl.diff.ignore import IgnoreFile, load_ignore
from driftctl.diff.severity import Severity

__all__ = [
    "DiffReport",
    "Finding",
    "IgnoreFile",
    "Ignored",
    "Severity",
    "SiteFacts",
    "compare",
    "diff_snapshots",
    "flatten",
    "load_ignore",
]


def diff_snapshots(
    snapshots: Sequence[tuple[str, Mapping[str, Any]]],
    ignore: IgnoreFile | None = None,
    baseline: str | None = None,
) -> DiffReport:
    """Flatten and compare ``(site name, snapshot)`` pairs in the given order."""
    return compare([flatten(site, snap) for site, snap in snapshots], ignore, baseline)
