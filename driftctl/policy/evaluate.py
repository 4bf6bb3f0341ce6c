"""Sites × rules → verdicts: overlay the release, judge freshness, run every rule at every site."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from driftctl.errors import InputError
from driftctl.policy.check import check_policy
from driftctl.policy.facts import FleetMemo, SiteContext
from driftctl.policy.hints import did_you_mean
from driftctl.policy.model import (
    Finding,
    GateSeverity,
    Policy,
    PreflightReport,
    SiteResult,
    verdict_of,
    worst,
)
from driftctl.policy.rules import REGISTRY
from driftctl.release.model import Release
from driftctl.release.overlay import Overlaid, Overlay
from driftctl.snapshot import Snapshot as SnapshotModel

log = logging.getLogger(__name__)

FRESHNESS = "freshness"
RELEASE = "release"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class Snapshot(Protocol):
    """What preflight needs of ``driftctl.inputs.SiteSnapshot``."""

    @property
    def site(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def collected_at(self) -> str: ...
    @property
    def snapshot(self) -> SnapshotModel: ...


def parse_duration(text: str, where: str = "--max-age") -> timedelta:
    """``14d``, ``36h``, ``90m`` or ``30s``."""
    match = _DURATION.match(text)
    if match is None:
        raise InputError(f"{where}: bad duration {text!r} (use e.g. 14d, 36h, 90m)")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    except OverflowError:
        raise InputError(f"{where}: duration {text!r} is too long") from None


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo is not None else None


def _unit(delta: timedelta) -> tuple[str, int]:
    """The largest unit that measures ``delta`` exactly: ``--max-age 90m`` stays in minutes."""
    seconds = delta.total_seconds()
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return unit, _UNITS[unit]
    return "s", 1


def _in(delta: timedelta, unit: tuple[str, int]) -> str:
    value = delta.total_seconds() / unit[1]
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return text + unit[0]


def _freshness(
    site: str, snap: Snapshot, max_age: timedelta, allow_stale: bool, now: datetime
) -> Finding | None:
    severity = GateSeverity.WARN if allow_stale else GateSeverity.BLOCK
    collected = _parse_time(snap.collected_at)
    if collected is None:
        text = f"snapshot seq {snap.seq} has no usable collected_at ({snap.collected_at!r})"
    elif now - collected > max_age:
        text = (
            f"latest snapshot (seq {snap.seq}, {snap.collected_at}) is"
            f" {_in(now - collected, _unit(max_age))} old, older than --max-age"
            f" {_in(max_age, _unit(max_age))}; cannot vouch for this site"
        )
    else:
        return None
    return Finding(FRESHNESS, site, severity, f"{FRESHNESS}: {text}", unknown=True)


def _run_rules(policy: Policy, ctx: SiteContext) -> list[Finding]:
    found: list[Finding] = []
    for rule in policy.rules:
        try:
            found.extend(REGISTRY[rule.kind].check(rule, ctx))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # A malformed snapshot must not crash the gate nor pass silently.
            log.debug("rule %s at %s: %r", rule.id, ctx.site, exc)
            found.append(
                ctx.finding(rule, f"facts malformed, rule cannot be checked ({exc})", unknown=True)
            )
    return found


def _release_findings(site: str, overlaid: Overlaid) -> list[Finding]:
    out = []
    for note in overlaid.notes:
        severity = GateSeverity.BLOCK if note.blocks else GateSeverity.WARN
        out.append(Finding(RELEASE, site, severity, f"{RELEASE}: {note.text}", unknown=note.blocks))
    return out


def evaluate(
    policy: Policy,
    release: Release,
    snapshots: Sequence[Snapshot],
    *,
    sites: Sequence[str] = (),
    max_age: timedelta = timedelta(days=14),
    allow_stale: bool = False,
    allow_unknown: bool = False,
    now: datetime,
) -> PreflightReport:
    """Judge the release at every site; a site without a snapshot cannot be vouched for."""
    latest = {s.site: s for s in snapshots}
    wanted = sorted(set(sites)) if sites else sorted(latest)
    if not wanted:
        raise InputError("no site snapshots to check: the store is empty and no bundles were given")
    check_release_components(release, [snap.snapshot for snap in latest.values()])
    apply = Overlay(release)
    overlaid = {site: apply(latest[site].snapshot, site) for site in wanted if site in latest}
    fleet = {site: o.snapshot for site, o in overlaid.items()}
    # A rule that can match nothing is a typo (exit 2), never a silent "unknown" everywhere.
    others = [snap.snapshot for site, snap in latest.items() if site not in fleet]
    check_policy(policy, [*fleet.values(), *others])
    memo: FleetMemo = {}
    rule_ids = (FRESHNESS, RELEASE, *(r.id for r in policy.rules))
    results: list[SiteResult] = []
    for site in wanted:
        snap = latest.get(site)
        if snap is None:
            severity = GateSeverity.WARN if allow_stale else GateSeverity.BLOCK
            text = f"{FRESHNESS}: no verified snapshot of site {site}; cannot vouch for it"
            finding = Finding(FRESHNESS, site, severity, text, unknown=True)
            results.append(
                SiteResult(site, verdict_of((finding,)), None, None, (finding,), (FRESHNESS,))
            )
            continue
        findings: list[Finding] = []
        fresh = _freshness(site, snap, max_age, allow_stale, now)
        if fresh is not None:
            findings.append(fresh)
        findings.extend(_release_findings(site, overlaid[site]))
        ctx = SiteContext(
            site,
            fleet[site],
            fleet,
            memo,
            allow_unknown=allow_unknown,
            release_gaps=overlaid[site].gaps,
        )
        findings.extend(_run_rules(policy, ctx))
        ordered = tuple(sorted(findings, key=Finding.sort_key))
        results.append(
            SiteResult(site, verdict_of(ordered), snap.seq, snap.collected_at, ordered, rule_ids)
        )
    overall = worst(r.verdict for r in results)
    return PreflightReport(release.name, policy.source, overall, tuple(results))


def check_release_components(release: Release, snapshots: Sequence[SnapshotModel]) -> None:
    """A component the release names that no site runs is a typo until shown otherwise."""
    if not snapshots:
        return  # nothing to check against; every wanted site blocks for freshness anyway
    known = {name for snap in snapshots for name in snap.components}
    for rc in release.components:
        if rc.name not in known:
            raise InputError(
                f"{release.source}: component {rc.name!r}: no site runs it"
                + did_you_mean(rc.name, known)
            )
