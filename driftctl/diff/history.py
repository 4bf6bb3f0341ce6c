"""One site's history as a report: the changes of each bundle, and since when each drift holds.

The changes come from ``driftctl.diff.timeline``; this module holds their types, the filters
(``--key``, ``--since``) and the step that joins them to the fleet's current drift findings
("frontend.version 3.0.1 → 2.3.4 at seq 17"). Semantics in docs/store.md ("history").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property

from driftctl.diff.report import DiffReport, DriftFinding
from driftctl.errors import InputError
from driftctl.snapshot import FactPath, FindingKind, PathError
from driftctl.snapshot.path import compile_pattern


class ChangeKind(StrEnum):
    """What happened to a fact from one bundle to the next."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class NodeChange:
    """One node's reading of a node fact, before and after (None: the node had no reading)."""

    node: str
    old: object
    new: object

    def to_json(self) -> dict[str, object]:
        return {"node": self.node, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    """A fact that differs from the bundle before, after the same normalisation as ``diff``.

    ``known_at`` is the seq where ``old`` was last known when that is not the bundle before
    (the fact was unknown in between: unknown is not a change, so nothing was reported then).
    """

    path: FactPath
    kind: ChangeKind
    old: object
    new: object
    category: str
    known_at: int | None = None
    nodes: tuple[NodeChange, ...] = ()

    @cached_property
    def key(self) -> str:
        return str(self.path)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key,
            "change": self.kind.value,
            "category": self.category,
            "old": self.old,
            "new": self.new,
        }
        if self.known_at is not None:
            out["known_at"] = self.known_at
        if self.nodes:
            out["nodes"] = [n.to_json() for n in self.nodes]
        return out


@dataclass(frozen=True)
class Gap:
    """Seqs ``first..last`` between two stored bundles: never imported, or pruned since."""

    first: int
    last: int
    pruned: bool

    def __str__(self) -> str:
        seqs = f"seq {self.first}" if self.first == self.last else f"seq {self.first}..{self.last}"
        return f"{seqs} {'pruned' if self.pruned else 'missing'}"

    def to_json(self) -> dict[str, object]:
        return {"first": self.first, "last": self.last, "pruned": self.pruned}


@dataclass(frozen=True)
class Step:
    """One stored bundle and what changed since the stored bundle before it (``after``)."""

    seq: int
    collected_at: str
    sha256: str
    after: int | None  # None: the oldest stored bundle, nothing to compare with
    changes: tuple[Change, ...]
    gaps: tuple[Gap, ...] = ()  # seqs between ``after`` (or 1) and ``seq`` the store lacks
    unknown: Mapping[str, str] = field(default_factory=dict)  # section -> failed collection
    facts: int = 0  # facts known after this bundle (an unknown one counts its last known value)

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "collected_at": self.collected_at,
            "sha256": self.sha256,
            "after": self.after,
            "gaps": [g.to_json() for g in self.gaps],
            "unknown": dict(self.unknown),
            "facts": self.facts,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Origin:
    """A current drift finding at the site, and the bundle from which the site's value holds.

    ``change`` is None when the value held since the oldest stored bundle (it may be older).
    """

    finding: DriftFinding
    value: object
    seq: int
    collected_at: str
    change: Change | None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.finding.key,
            "category": self.finding.category,
            "severity": self.finding.severity.value,
            "kind": self.finding.kind.value,
            "value": self.value,
            "message": self.finding.message,
        }
        if self.change is not None:
            out["since"] = {
                "seq": self.seq,
                "collected_at": self.collected_at,
                "change": self.change.kind.value,
                "old": self.change.old,
                "new": self.change.new,
            }
        else:
            out["since"] = {"seq": self.seq, "collected_at": self.collected_at, "oldest": True}
        return out


@dataclass(frozen=True)
class HistoryReport:
    """``driftctl history``: the site's stored bundles oldest first, and its current drift."""

    site: str
    steps: tuple[Step, ...]  # after --since
    bundles: int  # stored bundles read (before --since)
    drift: tuple[Origin, ...]
    sites: tuple[str, ...]  # the fleet the drift was found in
    key: str | None = None
    since: str | None = None

    def to_json(self) -> dict[str, object]:
        changes = sum(len(s.changes) for s in self.steps)
        return {
            "site": self.site,
            "sites": list(self.sites),
            "filters": {"key": self.key, "since": self.since},
            "summary": {"bundles": self.bundles, "shown": len(self.steps), "changes": changes}
            | {"drift": len(self.drift)},
            "bundles": [s.to_json() for s in self.steps],
            "drift": [o.to_json() for o in self.drift],
        }


def parse_since(text: str) -> datetime:
    """``--since``: a date (``2026-11-02``, midnight UTC) or an RFC 3339 time with its offset."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--since: {text!r} is not a date (2026-11-02) or a time (2026-11-02T08:00:00Z)"
        ) from None
    if when.tzinfo is None:
        raise InputError(f"--since: {text!r} has no UTC offset (add Z or +01:00)")
    return when.astimezone(UTC)


def collected(step: Step) -> datetime | None:
    """A step's collection time (the manifest checked it is RFC 3339 UTC at import)."""
    try:
        return datetime.fromisoformat(step.collected_at.replace("Z", "+00:00"))
    except ValueError:
        return None


def key_filter(pattern: str | None) -> Callable[[str], bool]:
    """``--key``: a fact path whose unquoted segments may hold ``*``/``?`` (as in ignore files)."""
    if pattern is None:
        return lambda _key: True
    try:
        regex = compile_pattern(pattern)
    except PathError as exc:
        raise InputError(f"--key: {exc}") from None
    return lambda key: regex.match(key) is not None


def origins(
    site: str, report: DiffReport, since: Mapping[str, tuple[int, str, Change]], first: Step
) -> tuple[Origin, ...]:
    """Each drift finding that names ``site`` (it differs there, or its own nodes disagree),
    with the bundle from which the site's current value holds."""
    out = []
    for f in report.findings:
        if f.kind is FindingKind.UNKNOWN or site not in f.sites or site in f.unknown:
            continue
        seq, when, change = since.get(f.key, (first.seq, first.collected_at, None))
        out.append(Origin(f, f.values.get(site), seq, when, change))
    return tuple(out)


def build(
    site: str,
    steps: Sequence[Step],
    drift: tuple[Origin, ...],
    sites: tuple[str, ...],
    key: str | None = None,
    since: str | None = None,
) -> HistoryReport:
    """The report for ``--key`` and ``--since``: changes and drift whose key matches, steps
    collected at or after ``since``."""
    wanted = key_filter(key)
    after = parse_since(since) if since is not None else None
    shown = []
    for step in steps:
        when = collected(step)
        if after is not None and (when is None or when < after):
            continue
        changes = step.changes if key is None else tuple(c for c in step.changes if wanted(c.key))
        shown.append(replace(step, changes=changes))
    kept = tuple(o for o in drift if wanted(o.finding.key))
    return HistoryReport(site, tuple(shown), len(steps), kept, sites, key, since)
