"""The diff report: findings (one per fact that differs or is unknown), accepted differences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftctl.diff.severity import Severity


@dataclass(frozen=True)
class Finding:
    """One fact: its value at every site (None = absent/unknown), how bad, and what is odd."""

    key: str
    category: str
    severity: Severity
    values: Mapping[str, Any]
    message: str
    kind: str  # "drift" | "intra-site" | "unknown"
    sites: tuple[str, ...] = ()  # the sites that differ (from the majority or the baseline)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "category": self.category,
            "severity": self.severity.value,
            "kind": self.kind,
            "values": dict(self.values),
            "sites": list(self.sites),
            "message": self.message,
        }


@dataclass(frozen=True)
class Ignored:
    """A difference an ignore rule accepted: counted, never reported as a finding."""

    key: str
    sites: tuple[str, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "sites": list(self.sites), "reason": self.reason}


@dataclass(frozen=True)
class DiffReport:
    """The result of ``driftctl diff``: sites, facts compared, findings sorted worst first."""

    sites: tuple[str, ...]
    facts: int
    findings: tuple[Finding, ...]
    ignored: tuple[Ignored, ...] = ()
    equal: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # category -> keys
    baseline: str | None = None

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity.value for f in self.findings)
        return {"error": c["error"], "warn": c["warn"], "info": c["info"]}

    def failing(self, rank: int) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= rank]

    def summary_line(self) -> str:
        c = self.counts()
        return (
            f"compared {len(self.sites)} sites, {self.facts} facts: {c['error']} error, "
            f"{c['warn']} warn, {c['info']} info, {len(self.ignored)} ignored"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sites": list(self.sites),
            "baseline": self.baseline,
            "summary": {"sites": len(self.sites), "facts": self.facts, **self.counts()}
            | {"ignored": len(self.ignored)},
            "findings": [f.to_json() for f in self.findings],
            "ignored": [i.to_json() for i in self.ignored],
        }
