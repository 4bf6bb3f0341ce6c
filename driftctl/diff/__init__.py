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

from collections.abc import Iterable

from driftctl.diff.engine import compare
from driftctl.diff.flatten import Keys, SiteFacts, flatten
from driftctl.diff.gpu_names import names_of, resolve_one
from driftctl.diff.ignore import IgnoreFile, load_ignore
from driftctl.diff.report import DiffReport, DriftFinding, Ignored
from driftctl.snapshot import DriftSeverity, FindingKind, Snapshot

__all__ = [
    "DiffReport",
    "DriftFinding",
    "DriftSeverity",
    "FindingKind",
    "IgnoreFile",
    "Ignored",
    "SiteFacts",
    "compare",
    "diff_snapshots",
    "flatten",
    "load_ignore",
]


def diff_snapshots(
    snapshots: Iterable[tuple[str, Snapshot]],
    ignore: IgnoreFile | None = None,
    baseline: str | None = None,
) -> DiffReport:
    """Flatten and compare ``(site name, snapshot)`` pairs in the given order.

    Each snapshot is flattened as it comes and can be dropped by the caller's iterator (the
    flat facts are a fraction of the typed snapshot: diff over hundreds of sites holds one
    snapshot at a time). Only a snapshot showing GPU names the plain table cut short waits
    until every snapshot's full names are known.
    """
    facts: list[SiteFacts | None] = []
    waiting: list[tuple[int, str, Snapshot]] = []
    full: set[str] = set()
    keys = Keys()
    for site, snapshot in snapshots:
        names, cut = names_of(snapshot)
        full |= names
        if cut:
            waiting.append((len(facts), site, snapshot))
            facts.append(None)
        else:
            facts.append(flatten(site, snapshot, keys))
    for index, site, snapshot in waiting:
        facts[index] = flatten(site, resolve_one(snapshot, full), keys)
    return compare([f for f in facts if f is not None], ignore, baseline)
