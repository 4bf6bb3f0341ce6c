"""N-way comparison of flat site facts: one finding per fact that differs, is unknown or splits a site."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from driftctl.diff.flatten import MAX_OFFSET, SYNCHRONIZED, Key, SiteFacts, section_of
from driftctl.diff.fleet import MISSING, Fleet
from driftctl.diff.ignore import IgnoreFile, IgnoreRule
from driftctl.diff.normalize import ABSENT_FORM, REDACTED, comparable, is_true, key_kind
from driftctl.diff.report import DiffReport, DriftFinding, Failure, Ignored
from driftctl.diff.severity import CATEGORIES
from driftctl.diff.show import show_value
from driftctl.errors import InputError
from driftctl.snapshot import DriftSeverity, FindingKind
from driftctl.snapshot.path import path_of
from driftctl.strictjson import finite

_MISSING = MISSING
# Raw values that, equal (and of one type) at every site, are equal after any normalisation: the
# engine's hot path. None everywhere is unknown everywhere: no known value, so no finding either.
_SCALARS = (str, int, float, bool, type(None))
# A site's comparison form of one fact: None is unknown; MISSING (a bare ``object()``, hashable
# like any object) until the engine decides whether an absent fact is unknown or ABSENT_FORM.
Form: TypeAlias = Hashable | None


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)  # every one: a report that hides who holds a value misleads


@dataclass(frozen=True)
class _Verdict:
    """What the judge found for one key: kind, the odd sites, the message, why unknown where."""

    kind: FindingKind
    odd: tuple[str, ...]
    message: str
    reasons: dict[str, str]


@dataclass
class _Judge:
    """Judges one key over the sites; ``exempt`` sites are left out of the comparison."""

    facts: Sequence[SiteFacts]
    baseline: str | None

    def __post_init__(self) -> None:
        self.sites = [sf.site for sf in self.facts]
        self.everyone = list(range(len(self.sites)))
        self.intra_keys = {k for sf in self.facts for k in sf.intra}
        self.node_keys = {k for sf in self.facts for k in sf.node_forms}

    def run(
        self, key: Key, forms: list[Form], values: list[object], exempt: frozenset[str]
    ) -> _Verdict | None:
        sites = self.sites
        live = [i for i, s in enumerate(sites) if s not in exempt] if exempt else self.everyone
        groups: dict[Hashable, list[int]] = {}
        unknown: list[int] = []
        for i in live:
            if forms[i] is None:
                unknown.append(i)
            else:
                groups.setdefault(forms[i], []).append(i)
        intra = [i for i in live if key in self.facts[i].intra] if key in self.intra_keys else []
        parts: list[str] = []
        odd: list[str] = []
        kind: FindingKind | None = None
        if len(groups) > 1:
            kind = FindingKind.DRIFT
            expected = self._expected(groups, sites)
            odd = [sites[i] for g, idx in groups.items() if g != expected for i in idx]
            parts.append(self._differs(key, groups, sites, values, expected))
        node_lines = self._odd_nodes(key, live) if (kind or intra) else {}
        for i in live:
            line = node_lines.get(i)
            if i in intra:
                kind = kind or FindingKind.INTRA_SITE
                who = "pods" if "containers" in path_of(key)[1:-1] else "nodes"
                detail = line or self.facts[i].intra[key]
                parts.append(f"{who} disagree within site {sites[i]}: {detail}")
                if sites[i] not in odd:
                    odd.append(sites[i])
            elif line and kind:
                parts.append(f"site {sites[i]}: {line}")
        if not kind and unknown and groups:
            kind = FindingKind.UNKNOWN
            order = sorted(groups, key=lambda g: min(groups[g]))
            known = "; ".join(self._show(key, g, groups[g], sites, values) for g in order)
            parts.append(f"unknown at {_names([sites[i] for i in unknown])}; {known}")
            odd = [sites[i] for i in unknown]
        elif kind and unknown:
            parts.insert(1, f"unknown at {_names([sites[i] for i in unknown])}")
        if not kind:
            return None
        section = section_of(key)
        reasons = {sites[i]: self.facts[i].failures.get(section, "") for i in unknown}
        return _Verdict(kind, tuple(odd), "; ".join(parts), reasons)

    def _expected(self, groups: dict[Hashable, list[int]], sites: list[str]) -> Hashable | None:
        if self.baseline is not None:
            for form, idx in groups.items():
                if any(sites[i] == self.baseline for i in idx):
                    return form
            return None  # unknown at the baseline: every known value is shown as differing
        sizes = sorted((len(idx) for idx in groups.values()), reverse=True)
        if sizes[0] == sizes[1]:
            return None  # no majority: nobody is "the odd one"
        return max(groups, key=lambda g: len(groups[g]))

    def _differs(
        self,
        key: Key,
        groups: dict[Hashable, list[int]],
        sites: list[str],
        values: list[object],
        expected: Hashable | None,
    ) -> str:
        order = sorted(groups, key=lambda g: (g != expected, min(groups[g])))
        shown = [self._show(key, g, groups[g], sites, values) for g in order]
        if self.baseline is not None and expected is not None:
            return f"differs from baseline {shown[0]}: {'; '.join(shown[1:])}"
        return "differs: " + "; ".join(shown)

    @staticmethod
    def _show(
        key: Key, form: Hashable, idx: list[int], sites: list[str], values: list[object]
    ) -> str:
        """One group of equal values, whole: ``<value> at <every site that holds it>``."""
        if form == ABSENT_FORM:
            value = "absent"
        elif key.endswith("." + MAX_OFFSET):
            value = f"offset {form}"  # the bucket is what was compared
        else:
            # Values that compare equal may still read differently (v1.29.3×3 and ×4, a build
            # suffix): each reading is shown with its sites, never the first one for all.
            readings: dict[str, list[str]] = {}
            for i in idx:
                readings.setdefault(show_value(values[i], key), []).append(sites[i])
            if len(readings) > 1:
                alike = " / ".join(f"{v} at {_names(s)}" for v, s in readings.items())
                return f"{alike} (these compare equal)"
            value = next(iter(readings))
        return f"{value} at {_names([sites[i] for i in idx])}"

    def _odd_nodes(self, key: Key, live: list[int]) -> dict[int, str]:
        """Name the nodes that hold the odd values ("cp-2, cp-3 not synchronized") per site."""
        if key not in self.node_keys or not any(key in self.facts[i].node_forms for i in live):
            return {}
        tally: Counter[Hashable] = Counter()
        pool = [i for i in live if self.facts[i].site == self.baseline] or live
        for i in pool:
            tally.update(f for _, f, _ in self.facts[i].node_forms.get(key, ()) if f is not None)
        if not tally:
            return {}
        usual, _ = tally.most_common(1)[0]
        out: dict[int, str] = {}
        for i in live:
            readings = self.facts[i].node_forms.get(key, ())
            bad = [(n, v) for n, f, v in readings if f is not None and f != usual]
            if not bad:
                continue
            names = _names([n for n, _ in bad])
            if key.endswith("." + SYNCHRONIZED) and is_true(usual):
                out[i] = f"{names} not synchronized"
            elif key.endswith("." + MAX_OFFSET):
                out[i] = f"offset {', '.join(f'{n} {_seconds(v)}' for n, v in bad)}"
            else:
                by_value: dict[str, list[str]] = {}
                for n, v in bad:
                    by_value.setdefault(show_value(v, key), []).append(n)
                out[i] = "; ".join(f"{v} on {_names(ns)}" for v, ns in sorted(by_value.items()))
        return out


def _seconds(value: object) -> str:
    """A signed offset in seconds; a non-finite or non-numeric reading says what it is."""
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:+g}s"
    return f"unreadable ({show_value(finite(value))})"


def compare(
    facts: Sequence[SiteFacts], ignore: IgnoreFile | None = None, baseline: str | None = None
) -> DiffReport:
    """Compare every site with every other (or with ``baseline``) in one pass over the keys."""
    fleet = Fleet()
    for sf in facts:
        fleet.add(sf)
    return compare_fleet(fleet, ignore, baseline)


def _forms(key: Key, fleet: Fleet, values: list[object], special: bool) -> list[Form]:
    """Each site's comparison form of ``key`` (MISSING where it has no such fact); the
    reference's value is normalised once for every site that holds it."""
    kind = key_kind(key)
    refval = fleet.ref.get(key, _MISSING)
    ref_form = _MISSING if refval is _MISSING else comparable(kind, refval)
    if not special:
        return [
            ref_form if v is refval else (_MISSING if v is _MISSING else comparable(kind, v))
            for v in values
        ]
    return [
        sf.forms[key]
        if key in sf.forms
        else (ref_form if v is refval else (_MISSING if v is _MISSING else comparable(kind, v)))
        for sf, v in zip(fleet.facts, values, strict=True)
    ]


def compare_fleet(
    fleet: Fleet, ignore: IgnoreFile | None = None, baseline: str | None = None
) -> DiffReport:
    """``compare`` over sites held as a Fleet: only keys some site differs on are judged."""
    facts = fleet.facts
    sites = tuple(sf.site for sf in facts)
    if len(set(sites)) != len(sites):
        dup = next(s for s in sites if sites.count(s) > 1)
        raise InputError(f"site {dup!r} given twice")
    if baseline is not None and baseline not in sites:
        raise InputError(f"--baseline: unknown site {baseline!r} (compared: {', '.join(sites)})")
    ignore = ignore or IgnoreFile()
    judge = _Judge(facts, baseline)
    ref, deltas = fleet.ref, fleet.deltas
    keys: set[Key] = set(ref)
    judged: set[Key] = set()  # keys whose raw values are not one scalar at every site
    for delta in deltas:
        judged.update(delta)
    keys |= judged
    intra_keys: set[Key] = set()
    special: set[Key] = set()  # keys whose raw values cannot decide equality
    for sf in facts:
        intra_keys.update(sf.intra)
        special.update(sf.intra, sf.forms)
    judged |= special
    judged.update(
        k for k, v in ref.items() if type(v) not in _SCALARS or (type(v) is str and REDACTED in v)
    )
    n = len(facts)
    findings: list[DriftFinding] = []
    ignored: list[Ignored] = []
    used: set[int] = set()  # ignore rules that matched a difference
    equal: defaultdict[str, list[str]] = defaultdict(list)
    none: frozenset[str] = frozenset()
    failed: Counter[tuple[str, str]] = Counter()  # (site, why unknown) -> facts it hides
    for key in sorted(keys):
        if key not in judged:  # the reference's scalar at every site
            equal[ignore.severity.of(key)[0]].append(key)
            continue
        refval = ref.get(key, _MISSING)
        values = [delta.get(key, refval) for delta in deltas]
        first = values[0]
        # The hot path: one raw scalar everywhere (list.count compares in C) is equal after any
        # normalisation too, unless it hides a secret.
        if (
            key not in special
            and type(first) in _SCALARS
            and values.count(first) == n
            and len({type(v) for v in values}) == 1
            and not (type(first) is str and REDACTED in first)
        ):
            equal[ignore.severity.of(key)[0]].append(key)
            continue
        forms = _forms(key, fleet, values, key in special)
        first = forms[0]
        same = first is not None and first is not _MISSING and forms.count(first) == n
        if same and key not in intra_keys:
            equal[ignore.severity.of(key)[0]].append(key)
            continue
        for i, f in enumerate(forms):
            if f is _MISSING:
                forms[i] = None if facts[i].absent_is_unknown(key) else ABSENT_FORM
        values = [None if v is _MISSING else v for v in values]
        verdict = judge.run(key, forms, values, none)
        category, severity = ignore.severity.of(key)
        if verdict is None:
            equal[category].append(key)
            continue
        rules = ignore.rules_for(key) if ignore.rules else []
        used.update(id(r) for r in rules)
        if rules:
            verdict, accepted = _apply_rules(judge, key, forms, values, verdict, rules)
            if verdict is None:
                ignored.append(accepted)
                continue
        for site, why in verdict.reasons.items():
            if why:
                failed[(site, why)] += 1
        findings.append(
            DriftFinding(
                path=path_of(key),
                category=category,
                severity=DriftSeverity.INFO if verdict.kind is FindingKind.UNKNOWN else severity,
                values=dict(zip(sites, values, strict=True)),
                message=verdict.message,
                kind=verdict.kind,
                sites=verdict.odd,
                unknown=verdict.reasons,
            )
        )
    order = {c: n for n, c in enumerate(CATEGORIES)}
    # Worst first; inside a category the most pointed first: a fact where one site stands out
    # before one where every site differs (per-site secrets, hostnames).
    findings.sort(
        key=lambda f: (-f.severity.rank, order.get(f.category, 99), len(f.sites) or n, f.key)
    )
    return DiffReport(
        sites,
        len(keys),
        tuple(findings),
        tuple(ignored),
        {c: tuple(k) for c, k in equal.items()},
        baseline,
        tuple(Failure(site, why, n) for (site, why), n in sorted(failed.items())),
        tuple(
            f"ignore[{i}] (path {r.path!r})"
            for i, r in enumerate(ignore.rules)
            if id(r) not in used
        ),
    )


def _apply_rules(
    judge: _Judge,
    key: Key,
    forms: list[Form],
    values: list[object],
    verdict: _Verdict,
    rules: list[IgnoreRule],
) -> tuple[_Verdict | None, Ignored]:
    """A rule without sites accepts the fact; with sites, those sites leave the comparison."""
    reason = "; ".join(dict.fromkeys(r.reason for r in rules))
    accepted = Ignored(path_of(key), verdict.odd, reason)
    if any(not r.sites for r in rules):
        return None, accepted
    exempt = frozenset(s for r in rules for s in r.sites)
    return judge.run(key, forms, values, exempt), accepted
