"""The diff report: findings (one per fact that differs or is unknown), accepted differences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from driftctl.snapshot import DriftSeverity, FactPath, FindingKind


@dataclass(frozen=True)
class DriftFinding:
    """One fact: its value at every site (None = absent/unknown), how bad, and what is odd."""

    path: FactPath
    category: str
    severity: DriftSeverity
    values: Mapping[str, object]
    message: str
    kind: FindingKind
    sites: tuple[str, ...] = ()  # the sites that differ (from the majority or the baseline)
    # The sites where the value is unknown -> why ("" when no failure explains it).
    unknown: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """The fact path as reports, ignore files and policies spell it."""
        return str(self.path)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key,
            "category": self.category,
            "severity": self.severity.value,
            "kind": self.kind.value,
            "values": dict(self.values),
            "sites": list(self.sites),
            "message": self.message,
        }
        if self.unknown:
            out["unknown"] = dict(self.unknown)
        return out


@dataclass(frozen=True)
class Failure:
    """A failed collection at a site and how many reported facts it left unknown."""

    site: str
    reason: str
    facts: int

    def to_json(self) -> dict[str, object]:
        return {"site": self.site, "reason": self.reason, "facts": self.facts}


@dataclass(frozen=True)
class Ignored:
    """A difference an ignore rule accepted: counted, never reported as a finding."""

    path: FactPath
    sites: tuple[str, ...]
    reason: str

    @cached_property
    def key(self) -> str:
        return str(self.path)

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "sites": list(self.sites), "reason": self.reason}


@dataclass(frozen=True)
class DiffReport:
    """The result of ``driftctl diff``: sites, facts compared, findings sorted worst first."""

    sites: tuple[str, ...]
    facts: int
    findings: tuple[DriftFinding, ...]
    ignored: tuple[Ignored, ...] = ()
    equal: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # category -> keys
    baseline: str | None = None
    failures: tuple[Failure, ...] = ()
    unused_rules: tuple[str, ...] = ()  # ignore rules that matched no difference

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity.value for f in self.findings)
        return {"error": c["error"], "warn": c["warn"], "info": c["info"]}

    def failing(self, rank: int) -> list[DriftFinding]:
        return [f for f in self.findings if f.severity.rank >= rank]

    def summary_line(self) -> str:
        c = self.counts()
        sites = f"{len(self.sites)} site" if len(self.sites) == 1 else f"{len(self.sites)} sites"
        facts = "1 fact" if self.facts == 1 else f"{self.facts} facts"
        return (
            f"compared {sites}, {facts}: {c['error']} error, "
            f"{c['warn']} warn, {c['info']} info, {len(self.ignored)} ignored"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "sites": list(self.sites),
            "baseline": self.baseline,
            "summary": {"sites": len(self.sites), "facts": self.facts, **self.counts()}
            | {"ignored": len(self.ignored)},
            "findings": [f.to_json() for f in self.findings],
            "ignored": [i.to_json() for i in self.ignored],
            "failures": [f.to_json() for f in self.failures],
        }
