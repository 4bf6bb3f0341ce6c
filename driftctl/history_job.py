"""``driftctl history``: a site's stored bundles read oldest first, joined to the fleet's drift."""

from __future__ import annotations

import logging
from pathlib import Path

from driftctl.diff import IgnoreFile, diff_snapshots
from driftctl.diff.history import Gap, HistoryReport, build, key_filter, origins, parse_since
from driftctl.diff.timeline import Timeline
from driftctl.errors import InputError, OperationalError
from driftctl.inputs import existing_store, stored_snapshot
from driftctl.snapshot import ModelError, Snapshot
from driftctl.store.layout import entries
from driftctl.store.store import Store

log = logging.getLogger(__name__)


def gaps_between(held: dict[int, bool], after: int, seq: int) -> tuple[Gap, ...]:
    """The seqs strictly between ``after`` and ``seq``, as runs never imported or pruned since
    (``held``: every seq the store knows, True when still stored)."""
    out: list[Gap] = []
    for n in range(after + 1, seq):
        pruned = n in held  # known but not stored here: its meta.json outlived its bundle
        if out and out[-1].last == n - 1 and out[-1].pruned == pruned:
            out[-1] = Gap(out[-1].first, n, pruned)
        else:
            out.append(Gap(n, n, pruned))
    return tuple(out)


def site_history(
    store: Path | None,
    site: str,
    key: str | None = None,
    since: str | None = None,
    ignore: IgnoreFile | None = None,
) -> HistoryReport:
    """Every stored bundle of ``site`` compared with the one before; then the fleet's current
    diff (the latest bundle of each site), each finding at ``site`` dated by the timeline.

    The whole read happens under the store's shared lock, so an import cannot slip a bundle in
    between the timeline and the diff.
    """
    key_filter(key)  # bad filters are bad input before anything is read
    if since is not None:
        parse_since(since)
    root = existing_store(store)
    target = Store(root)
    with target.reading():
        states = {state.site: state for state in target.sites()}
        if not states:
            raise InputError(f"{root}: no bundles in the store (import some first)")
        if site not in states:  # also keeps a hostile name from becoming a path
            have = ", ".join(sorted(states))
            raise InputError(f"--site {site}: no such site in {root} (have: {have})")
        found = entries(root, site)
        held = {e.seq: e.stored for e in found}
        timeline = Timeline(site)
        steps = []
        after = 0
        for entry in found:
            if not entry.stored:
                continue
            raw = target.snapshot(site, entry.seq)
            gaps = gaps_between(held, after, entry.seq)
            steps.append(timeline.add(entry.seq, entry.collected_at, entry.sha256, raw, gaps))
            after = entry.seq
            log.debug("%s seq %d: %d changes", site, entry.seq, len(steps[-1].changes))
        fleet: list[tuple[str, Snapshot]] = []
        for name, state in sorted(states.items()):
            if name == site and timeline.latest is not None:
                fleet.append((name, _typed(timeline.latest, f"{site} seq {after}")))
            else:
                fleet.append((name, stored_snapshot(root, name, state.latest.seq)))
    report = diff_snapshots(fleet, ignore)
    drift = origins(site, report, timeline.since, steps[0])
    log.info("%s: %d bundles, %d drift findings at the site", site, len(steps), len(drift))
    return build(site, steps, drift, report.sites, key, since)


def _typed(raw: object, where: str) -> Snapshot:
    try:
        return Snapshot.from_dict(
            dict(raw) if isinstance(raw, dict) else {}, f"{where} snapshot.json"
        )
    except ModelError as exc:
        raise OperationalError(f"store damaged: {exc}") from None
