"""Cross-site drift: flatten snapshots, normalise values, compare N sites, apply ignore rules.

Semantics (docs/diff.md), decided here:

- Facts are fact paths (``helm.ai/docai.values.mcpHub.timeoutSeconds``; a key segment holding
  ``.``, brackets, quotes, globs or spaces is quoted: ``values["a.b"]``); lists are leaves.
  Not compared: ``site``, ``collected_at``, ``failures``, ``kubernetes.cluster_uid``, Helm
  ``revision``, workload ``nodes``, node names and ``internal_ip``, controller-written labels
  (``pod-template-hash`` …) and server-filled fields below values/labels (``managedFields``,
  ``resourceVersion``, ``generation``, ``status``, ``uid``, ``creationTimestamp``).
- Node facts are per-site distributions ``{value: node count}``; sites compare by the *set* of
  values (node counts differ by design). More than one value inside a site is intra-site drift.
  Clock offsets compare as one bucket per site (``nodes.time.max_abs_offset_seconds``); time
  facts also exist per role (``nodes[control-plane].time.synchronized``).
- Unknown is not changed: a null value, an absent value whose collector recorded a failure, a
  section that was not collected, and any value holding ``<redacted>`` are unknown. Unknown is
  never equal and never drift; if the known values agree it is one ``info`` finding
  ("unknown at SITE"). An absent value *without* a failure is drift ("absent at SITE").
  Keyed tokens (``$dctok$v1$…``) compare like any value: same token, same secret.
- N-way: the odd sites are those outside the largest group of equal values (all of them when
  there is no majority); with ``--baseline`` those that differ from the baseline's value.
- Ignore rules: a rule without ``sites`` accepts the fact; with ``sites`` those sites leave the
  comparison for matching keys, and the fact is accepted when the rest agree. Severity
  overrides: a category name, or a path pattern (a matching pattern beats a category).
  Patterns are fact paths whose unquoted segments may hold ``*`` (any text, also across
  segments) and ``?``; a key as a report spells it matches exactly itself.
- ``--write-ignore`` never replaces an existing file unless ``--overwrite-ignore`` is given;
  it keeps the rules and overrides of ``--ignore`` and adds one TODO entry per difference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from driftctl.diff.engine import compare, compare_fleet
from driftctl.diff.flatten import Keys, SiteFacts, flatten
from driftctl.diff.fleet import Fleet
from driftctl.diff.gpu_names import names_of, resolve_one
from driftctl.diff.ignore import IgnoreFile, load_ignore
from driftctl.diff.index import IndexedSite, Unusable
from driftctl.diff.report import DiffReport, DriftFinding, Ignored
from driftctl.snapshot import DriftSeverity, FindingKind, Snapshot

__all__ = [
    "DiffReport",
    "DriftFinding",
    "DriftSeverity",
    "FindingKind",
    "IgnoreFile",
    "Ignored",
    "IndexedSite",
    "SiteFacts",
    "compare",
    "diff_sites",
    "diff_snapshots",
    "flatten",
    "load_ignore",
]
log = logging.getLogger(__name__)


def diff_snapshots(
    snapshots: Iterable[tuple[str, Snapshot]],
    ignore: IgnoreFile | None = None,
    baseline: str | None = None,
) -> DiffReport:
    """Flatten and compare ``(site name, snapshot)`` pairs in the given order.

    Each snapshot is flattened as it comes and can be dropped by the caller's iterator (a site
    keeps only what differs from the first: diff over hundreds of sites holds one snapshot at a
    time). Only a snapshot showing GPU names the plain table cut short waits until every
    snapshot's full names are known.
    """
    return diff_sites(snapshots, ignore, baseline)


def _no_fallback(site: IndexedSite) -> Snapshot:
    raise AssertionError(f"{site.site}: no snapshot to read instead of its facts index")


def diff_sites(
    sites: Iterable[tuple[str, Snapshot | IndexedSite]],
    ignore: IgnoreFile | None = None,
    baseline: str | None = None,
    snapshot_of: Callable[[IndexedSite], Snapshot] = _no_fallback,
) -> DiffReport:
    """``diff_snapshots`` over sites given by their snapshot or by their facts index.

    An index stands for the snapshot it was made from; where it cannot be used (damaged, or
    showing cut GPU names, which need the fleet's full names and the snapshot's devices),
    ``snapshot_of`` reads the snapshot instead.
    """
    fleet = Fleet()
    waiting: list[tuple[int, str, Snapshot]] = []
    full: set[str] = set()
    keys = Keys()
    for position, (site, item) in enumerate(sites):
        if isinstance(item, IndexedSite):
            if not item.gpu_cut:
                try:
                    fleet.add_indexed(item, position)
                    full |= item.gpu_names
                    continue
                except Unusable as exc:
                    log.warning("%s seq %d: facts index not usable (%s); read its snapshot",
                                site, item.seq, exc)  # fmt: skip
            item = snapshot_of(item)
        names, cut = names_of(item)
        full |= names
        if cut:
            waiting.append((position, site, item))
        else:
            fleet.add(flatten(site, item, keys), position)
    for position, site, snapshot in waiting:
        fleet.add(flatten(site, resolve_one(snapshot, full), keys), position)
    return compare_fleet(fleet.ordered(), ignore, baseline)
