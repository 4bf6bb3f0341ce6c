"""Frozen data model of preflight: rules, policy, release, findings, per-site and overall verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from driftctl.policy.refs import RuleConfig
from driftctl.snapshot.enums import GateSeverity, Verdict
from driftctl.snapshot.jsonvalue import JsonObject, JsonValue

__all__ = [
    "Finding",
    "GateSeverity",
    "Policy",
    "PreflightReport",
    "Rule",
    "SiteResult",
    "Verdict",
    "verdict_of",
    "worst",
]


@dataclass(frozen=True)
class Rule:
    """One policy rule: the common keys plus the kind-specific, already validated ``config``."""

    id: str
    kind: str
    severity: GateSeverity
    config: RuleConfig
    message: str | None = None


@dataclass(frozen=True)
class Policy:
    """A validated policy; ``source`` names the file it came from."""

    source: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Finding:
    """One judgement of a rule at a site, naming the components, nodes and values that decided it."""

    rule: str
    site: str
    severity: GateSeverity
    message: str
    unknown: bool = False
    components: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    values: Mapping[str, JsonValue] = field(default_factory=dict)

    def sort_key(self) -> tuple[int, str, str]:
        return (0 if self.severity is GateSeverity.BLOCK else 1, self.rule, self.message)

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
        }
        if self.unknown:
            out["unknown"] = True
        if self.components:
            out["components"] = list(self.components)
        if self.nodes:
            out["nodes"] = list(self.nodes)
        if self.values:
            out["values"] = dict(self.values)
        return out


@dataclass(frozen=True)
class SiteResult:
    """The verdict at one site, the snapshot it rests on and every finding, sorted."""

    site: str
    verdict: Verdict
    seq: int | None
    collected_at: str | None
    findings: tuple[Finding, ...]
    rules_checked: tuple[str, ...]


@dataclass(frozen=True)
class PreflightReport:
    """The whole preflight: release, overall (worst) verdict and the sites by name."""

    release: str
    policy: str
    verdict: Verdict
    sites: tuple[SiteResult, ...]

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for site in self.sites:
            out[site.verdict.value] += 1
        return out


def verdict_of(findings: tuple[Finding, ...]) -> Verdict:
    """A site blocks on any block finding, warns on any warning, else passes."""
    severities = {f.severity for f in findings}
    if GateSeverity.BLOCK in severities:
        return Verdict.BLOCK
    if GateSeverity.WARN in severities:
        return Verdict.WARN
    return Verdict.PASS


_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.BLOCK: 2}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst verdict (``block`` > ``warn`` > ``pass``); ``pass`` for none."""
    return max(verdicts, key=_RANK.__getitem__, default=Verdict.PASS)
