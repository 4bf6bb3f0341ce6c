"""One site's bundles in seq order, each compared with the one before, fact by fact.

What a change is (docs/store.md, "History"), decided here:

- The facts that differ come from ``driftctl.diff.pairs`` (a JSON pre-filter, then diff's own
  flattening); they are compared in diff's normalised forms, so a mirror host or key order is no
  change. DeepDiff was measured on the same pairs (tests/bench/bench_history.py): 0.6-1 s per
  pair of whole 20k-fact snapshots against about 5 ms, 4x this on the differing items alone, and
  there it reports raw differences (clock noise, moved pods) in its own path syntax, which would
  still need diff's normalisation: not used.
- Unknown is not a change: a fact that is null, or absent while its section's collection
  failed, keeps its last known value, and is compared with it once known again (``known_at``).
- Node facts compare as the number of nodes per value (diff compares the set of values across
  sites): a second node losing clock sync is a change. A node that is still there but has no
  reading keeps its last one; a node that is gone, or has no GPU any more, counts no longer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Final

from driftctl.diff.flatten import MAX_OFFSET, Key, SiteFacts, section_of
from driftctl.diff.history import Change, ChangeKind, Gap, NodeChange, Step
from driftctl.diff.normalize import comparable, key_kind, offset_bucket
from driftctl.diff.pairs import Pair, PairReader, Raw, Roster
from driftctl.diff.severity import CATEGORIES, classify
from driftctl.snapshot import Selector
from driftctl.snapshot.path import path_of

_MISSING: Final = object()
_ORDER = {c: n for n, c in enumerate(CATEGORIES)}

Reading = tuple[str, Hashable | None, object]  # node, comparison form (None: unknown), value


@dataclass(frozen=True)
class _Nodes:
    """A node fact's last known readings, one per node."""

    readings: tuple[Reading, ...]


def _is_offset(key: Key) -> bool:
    return key.endswith("." + MAX_OFFSET)


def _node_form(key: Key, readings: list[Reading]) -> Hashable | None:
    """Nodes per value (any order, any names); for clock offsets the worst one's bucket."""
    if _is_offset(key):
        known = [abs(v) for _, _, v in readings if isinstance(v, int | float)]
        return offset_bucket(max(known)) if known else None
    counts = Counter(f for _, f, _ in readings)
    return frozenset(counts.items()) if counts else None


def _node_display(key: Key, readings: list[Reading]) -> object:
    if _is_offset(key):
        known = [abs(v) for _, _, v in readings if isinstance(v, int | float)]
        return round(max(known), 6) if known else None
    counts = Counter(
        v if isinstance(v, str) else json.dumps(v, sort_keys=True) for *_, v in readings
    )
    return dict(sorted(counts.items()))


def _node_changes(old: tuple[Reading, ...], new: list[Reading]) -> tuple[NodeChange, ...]:
    before = {n: (f, v) for n, f, v in old}
    after = {n: (f, v) for n, f, v in new}
    out = []
    for node in sorted(before.keys() | after.keys()):
        b, a = before.get(node), after.get(node)
        if b is None or a is None or b[0] != a[0]:
            out.append(NodeChange(node, None if b is None else b[1], None if a is None else a[1]))
    return tuple(out)


def _still_there(roster: Roster, key: Key) -> set[str]:
    """Nodes that could hold a reading of node fact ``key``: a missing one is unknown, not
    gone (a node without a GPU, or outside the key's role, holds none)."""
    path = path_of(key)
    role = path[1].name if len(path) > 1 and isinstance(path[1], Selector) else None
    gpu = section_of(key) == "gpu"
    return {
        name
        for name, no_gpu, roles in roster.nodes
        if not (gpu and no_gpu) and (role is None or role in roles)
    }


def _differs(old: SiteFacts, new: SiteFacts, key: Key) -> bool:
    a, b = old.values.get(key, _MISSING), new.values.get(key, _MISSING)
    if a is _MISSING or b is _MISSING:
        return a is not b
    # Node facts and unequal raw values are decided against the known state.
    return key in new.node_forms or type(a) is not type(b) or a != b


class Timeline:
    """Feed a site's bundles oldest first: ``add`` (JSON) or ``apply`` (a ``Pair`` made
    elsewhere, in seq order); each returns its ``Step``.

    ``since`` holds, per fact, the last change (seq, collected_at, change): where the fact's
    current value began. ``whole``: see ``PairReader``.
    """

    def __init__(self, site: str, whole: bool = False) -> None:
        self.site = site
        self.reader = PairReader(site, whole)
        self.since: dict[Key, tuple[int, str, Change]] = {}
        self._seq = 0
        self._known: dict[Key, object] = {}  # every fact's last known value
        self._nodes: dict[Key, _Nodes] = {}  # node facts: the readings behind the value
        self._stale: dict[Key, int] = {}  # unknown now -> seq where last known
        self._carried: set[Key] = set()  # known facts absent now, their section failed

    def add(
        self,
        seq: int,
        collected_at: str,
        sha256: str,
        raw: Raw,
        gaps: tuple[Gap, ...] = (),
    ) -> Step:
        return self.apply(self.reader.pair(seq, raw), collected_at, sha256, gaps)

    def apply(self, pair: Pair, collected_at: str, sha256: str, gaps: tuple[Gap, ...] = ()) -> Step:
        seq, prev_seq, new = pair.seq, self._seq, pair.new
        self._seq = seq
        if pair.old is None:
            self._start(new)
            return Step(seq, collected_at, sha256, None, (), gaps, new.failures, len(self._known))
        old = pair.old
        keys = {k for k in old.values.keys() | new.values.keys() if _differs(old, new, k)}
        found = [self._fact(key, new, prev_seq) for key in keys | self._carried]
        if pair.nodes is not None:
            roster, nodes = pair.nodes
            for key in nodes.node_forms.keys() | self._nodes.keys():
                found.append(self._node_fact(key, nodes, roster))
        changes = sorted(
            (c for c in found if c is not None), key=lambda c: (_ORDER.get(c.category, 99), c.key)
        )
        for change in changes:
            self.since[change.key] = (seq, collected_at, change)
        known = len(self._known)
        return Step(seq, collected_at, sha256, prev_seq, tuple(changes), gaps, new.failures, known)

    def _start(self, facts: SiteFacts) -> None:
        for key, value in facts.values.items():
            if key in facts.node_forms:
                readings = [r for r in facts.node_forms[key] if r[1] is not None]
                if readings:
                    self._nodes[key] = _Nodes(tuple(readings))
                    self._known[key] = value
            elif value is not None:
                self._known[key] = value

    def _fact(self, key: Key, new: SiteFacts, prev_seq: int) -> Change | None:
        value = new.values.get(key, _MISSING)
        old = self._known.get(key, _MISSING)
        if value is _MISSING:
            if old is _MISSING:
                self._carried.discard(key)
                return None
            if new.absent_is_unknown(key):
                self._carried.add(key)
                self._stale.setdefault(key, prev_seq)
                return None
            del self._known[key]
            self._carried.discard(key)
            return self._change(key, ChangeKind.REMOVED, old, None)
        self._carried.discard(key)
        kind = key_kind(key)
        form = comparable(kind, value)
        if form is None:  # unknown here: the last known value stands
            if old is not _MISSING:
                self._stale.setdefault(key, prev_seq)
            return None
        self._known[key] = value
        before = None if old is _MISSING else comparable(kind, old)
        if before is None:
            return self._change(key, ChangeKind.ADDED, None, value)
        if before == form:
            self._stale.pop(key, None)
            return None
        return self._change(key, ChangeKind.CHANGED, old, value)

    def _node_fact(self, key: Key, new: SiteFacts, roster: Roster) -> Change | None:
        readings = [r for r in new.node_forms.get(key, ()) if r[1] is not None]
        last = self._nodes.get(key)
        if last is not None:
            have = {n for n, _, _ in readings}
            failed = section_of(key) in new.unknown_sections
            there = _still_there(roster, key)
            readings += [r for r in last.readings if r[0] not in have and (failed or r[0] in there)]
        form = _node_form(key, readings)
        before = None if last is None else _node_form(key, list(last.readings))
        if form == before:
            if last is not None and readings:
                self._nodes[key] = _Nodes(tuple(readings))
            return None
        nodes = _node_changes(last.readings if last else (), readings)
        if form is None:
            old = self._known.pop(key, None)
            del self._nodes[key]
            return self._change(key, ChangeKind.REMOVED, old, None, nodes)
        value = new.values.get(key)
        if value is None or len(readings) != len(new.node_forms.get(key, ())):
            value = _node_display(key, readings)  # with the readings kept from before
        old = self._known.get(key)
        self._known[key] = value
        self._nodes[key] = _Nodes(tuple(readings))
        kind = ChangeKind.ADDED if before is None else ChangeKind.CHANGED
        return self._change(key, kind, old, value, nodes)

    def _change(
        self,
        key: Key,
        kind: ChangeKind,
        old: object,
        new: object,
        nodes: tuple[NodeChange, ...] = (),
    ) -> Change:
        category, _ = classify(key)
        known_at = self._stale.pop(key, None)
        return Change(path_of(key), kind, old, new, category, known_at, nodes)
