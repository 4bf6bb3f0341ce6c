"""Ignore files: accepted differences (path patterns, per site) and severity overrides."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict

from driftctl.diff.severity import CATEGORIES, SeverityPolicy
from driftctl.errors import InputError
from driftctl.safeio import check_keys, expect_mapping, write_output
from driftctl.snapshot import DriftSeverity
from driftctl.snapshot.path import PathError, compile_pattern

TODO_REASON = "TODO: why is this difference acceptable?"
log = logging.getLogger(__name__)


class IgnoreEntry(TypedDict):
    """One ``ignore:`` entry as ``--write-ignore`` writes it (keys in this order)."""

    path: str
    sites: NotRequired[list[str]]
    reason: str


class IgnoreDocument(TypedDict):
    """An ignore file as ``--write-ignore`` writes it: the rules, then any severity overrides."""

    ignore: list[IgnoreEntry]
    severity: NotRequired[dict[str, str]]


@dataclass(frozen=True)
class IgnoreRule:
    """Differences at ``path`` (a fact path whose unquoted segments may hold ``*``/``?`` globs,
    docs/diff.md) are accepted; only at ``sites`` when given."""

    path: str
    reason: str
    sites: frozenset[str] = frozenset()
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", compile_pattern(self.path))

    def matches(self, key: str) -> bool:
        return self._regex.match(key) is not None


@dataclass(frozen=True)
class IgnoreFile:
    """A loaded ignore file; the empty default ignores nothing and overrides nothing."""

    rules: tuple[IgnoreRule, ...] = ()
    severity: SeverityPolicy = field(default_factory=SeverityPolicy)
    source: str = ""

    def rules_for(self, key: str) -> list[IgnoreRule]:
        return [r for r in self.rules if r.matches(key)]

    def site_names(self) -> set[str]:
        return {s for r in self.rules for s in r.sites}


def _severity(raw: object, where: str) -> SeverityPolicy:
    mapping = expect_mapping(raw, f"{where}: severity")
    categories: dict[str, DriftSeverity] = {}
    globs: list[tuple[str, DriftSeverity]] = []
    for name, level in mapping.items():
        if level not in ("error", "warn", "info"):
            raise InputError(
                f"{where}: severity.{name}: must be error, warn or info, not {level!r}"
            )
        if name in CATEGORIES:
            categories[name] = DriftSeverity(level)
        elif isinstance(name, str) and re.search(r'[.*?\["]', name):
            _pattern(name, f"{where}: severity: {name!r}")
            globs.append((name, DriftSeverity(level)))
        else:
            known = ", ".join(CATEGORIES)
            raise InputError(f"{where}: severity: unknown category {name!r} (one of {known})")
    return SeverityPolicy(categories, tuple(globs))


def _rule(raw: object, where: str) -> IgnoreRule:
    entry = expect_mapping(raw, where)
    check_keys(entry, {"path", "sites", "reason"}, where, required={"path", "reason"})
    path, reason, sites = entry["path"], entry["reason"], entry.get("sites", [])
    if not isinstance(path, str) or not path.strip():
        raise InputError(f"{where}: path: must be a non-empty string")
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(f"{where}: reason: must be a non-empty string")
    if not isinstance(sites, list) or not all(isinstance(s, str) and s for s in sites):
        raise InputError(f"{where}: sites: must be a list of site names")
    _pattern(path, f"{where}: path")
    return IgnoreRule(path, reason.strip(), frozenset(sites))


def _pattern(text: str, where: str) -> None:
    try:
        compile_pattern(text)
    except PathError as exc:
        raise InputError(f"{where}: {exc}") from None


def load_ignore(path: Path) -> IgnoreFile:
    """Load an ignore file strictly: unknown keys and bad values are InputErrors naming file and key."""
    from driftctl.safeyaml import load_yaml_file  # start-up time: diff without --ignore

    raw = load_yaml_file(path)
    if raw is None:
        return IgnoreFile(source=str(path))
    doc = expect_mapping(raw, str(path))
    check_keys(doc, {"ignore", "severity"}, str(path))
    entries = doc.get("ignore")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise InputError(f"{path}: ignore: must be a list")
    rules = tuple(_rule(e, f"{path}: ignore[{i}]") for i, e in enumerate(entries))
    todo = sum(r.reason == TODO_REASON for r in rules)
    if todo:  # a starting file from --write-ignore accepts everything until someone reasons
        log.warning("%s: %d of %d ignore rules still have the TODO reason", path, todo, len(rules))
    raw_severity = doc.get("severity")
    severity = SeverityPolicy() if raw_severity is None else _severity(raw_severity, str(path))
    return IgnoreFile(rules, severity, str(path))


def ignore_document(
    existing: IgnoreFile, new: Iterable[tuple[str, Sequence[str]]]
) -> IgnoreDocument:
    """The YAML document ``--write-ignore`` writes: existing rules, then one entry per difference."""
    entries: list[IgnoreEntry] = []
    for rule in existing.rules:
        if rule.sites:
            entries.append({"path": rule.path, "sites": sorted(rule.sites), "reason": rule.reason})
        else:
            entries.append({"path": rule.path, "reason": rule.reason})
    for key, _sites in new:
        # A rendered key is a pattern matching exactly itself: ``*`` and ``?`` only ever
        # appear inside quoted segments, where they are literal.
        entries.append({"path": key, "reason": TODO_REASON})
    doc: IgnoreDocument = {"ignore": entries}
    policy = existing.severity
    overrides = {c: s.value for c, s in policy.categories.items()}
    overrides.update({g: s.value for g, s in policy.globs})
    if overrides:
        doc["severity"] = overrides
    return doc


def write_ignore(
    path: Path, existing: IgnoreFile, new: Iterable[tuple[str, Sequence[str]]], overwrite: bool
) -> int:
    """Write a starting ignore file atomically; refuse to replace an existing file unless told."""
    if path.exists() and not overwrite:
        raise InputError(f"{path}: exists; pass --overwrite-ignore to replace it")
    doc = ignore_document(existing, new)
    header = (
        "# driftctl ignore file: accepted differences between sites (docs/diff.md).\n"
        "# Replace every TODO reason with why the difference is acceptable, or delete the entry.\n"
    )
    import yaml  # start-up time: only --write-ignore writes YAML

    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    write_output(path, (header + body).encode())
    return len(doc["ignore"]) - len(existing.rules)
