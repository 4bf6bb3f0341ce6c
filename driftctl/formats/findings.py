"""Diff findings as every renderer reads them: grouped by category, each site's value and mark."""

from __future__ import annotations

from collections.abc import Sequence

from driftctl.diff.report import DriftFinding
from driftctl.diff.show import show_value

ODD, UNKNOWN = "*", "?"  # a site's mark: its value differs, its value is unknown


def groups(findings: Sequence[DriftFinding]) -> list[tuple[str, list[DriftFinding]]]:
    """Findings grouped by category, the category with the worst finding first."""
    out: dict[str, list[DriftFinding]] = {}
    for f in findings:
        out.setdefault(f.category, []).append(f)
    return list(out.items())


def value_text(f: DriftFinding, site: str) -> str:
    """A site's value as a person reads it: ``unknown`` and ``absent`` are told apart."""
    value = f.values.get(site)
    if value is None:
        return "unknown" if site in f.unknown else "absent"
    return show_value(value, f.key)


def mark(f: DriftFinding, site: str) -> str:
    """``?`` where the value is unknown, ``*`` where the site differs, else a space."""
    if site in f.unknown:
        return UNKNOWN
    return ODD if site in f.sites else " "
