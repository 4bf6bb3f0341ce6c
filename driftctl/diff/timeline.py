"""One site's snapshots in seq order, each compared with the one before as flat facts.

How (docs/store.md, "history"), and why so (measured by tests/bench/bench_history.py):

- Consecutive snapshots of a site are nearly equal. Their JSON forms are compared first, item by
  item (each workload, component and Helm release; the ``kubernetes`` section and the nodes as
  one item each), with the interpreter's own ``==``. Only items that differ are typed, flattened
  by ``driftctl.diff.flatten`` (the fact paths and node facts of ``diff``) and compared fact by
  fact with diff's comparison forms, so a mirror host or key order is no change. Equal JSON is
  equal facts: nothing is skipped that could differ. Items that were never typed are equal to
  items that were (the oldest snapshot is typed whole), so every item has passed the model.
- DeepDiff was measured on the same pairs: about a second per pair of 20k-fact snapshots (the
  pre-filter above: milliseconds), and on the differing items it reports raw differences in its
  own path syntax, which then need diff's normalisation anyway; it is not used.
- Unknown is not a change: a fact that is null, or absent while its section's collection
  failed, keeps its last known value, and is compared with it once known again (``known_at``).
- Node facts compare as the number of nodes per value (diff compares the set of values across
  sites): a second node losing clock sync is a change. A node that is still there but has no
  reading keeps its last one; a node that is gone, or has no GPU any more, counts no longer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from driftctl.diff.flatten import MAX_OFFSET, ROLE_ALIASES, Key, SiteFacts, flatten, section_of
from driftctl.diff.gpu_names import resolve_snapshots
from driftctl.diff.history import Change, ChangeKind, Gap, NodeChange, Step
from driftctl.diff.normalize import comparable, key_kind, offset_bucket
from driftctl.diff.severity import CATEGORIES, classify
from driftctl.errors import OperationalError
from driftctl.snapshot import ModelError, Selector, Snapshot
from driftctl.snapshot.path import path_of

ITEMIZED = ("workloads", "components", "helm")  # sections compared item by item
WHOLE = ("kubernetes", "nodes")  # compared as one item each
_MISSING: Any = object()
_ORDER = {c: n for n, c in enumerate(CATEGORIES)}

Reading = tuple[str, Hashable | None, object]  # node, comparison form (None: unknown), value


@dataclass(frozen=True)
class _Nodes:
    """A node fact's last known readings, one per node."""

    readings: tuple[Reading, ...]


def _typed(raw: Mapping[str, Any], where: str) -> Snapshot:
    try:
        return Snapshot.from_dict(dict(raw), where)
    except ModelError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def _items(raw: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    items = raw.get(section, {})
    return items if isinstance(items, Mapping) else {}


def _touched(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, set[str]]:
    """Per itemized section, the names of items that differ; ``WHOLE`` sections by name."""
    out: dict[str, set[str]] = {}
    for section in ITEMIZED:
        before, after = _items(old, section), _items(new, section)
        names = {k for k, v in after.items() if before.get(k, _MISSING) != v}
        names.update(k for k in before if k not in after)
        if names or bool(before) != bool(after):
            out[section] = names
    for section in WHOLE:
        if old.get(section, _MISSING) != new.get(section, _MISSING):
            out[section] = set()
    if old.get("failures") != new.get("failures"):
        out["nodes"] = set()  # a failed node's facts are unknown, not gone
    return out


def _everything(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every item of both: the comparison without the pre-filter (tests and benchmark)."""
    out = {s: set(_items(old, s)) | set(_items(new, s)) for s in ITEMIZED}
    return out | {s: set() for s in WHOLE}


def _part(raw: Mapping[str, Any], touched: Mapping[str, set[str]]) -> dict[str, Any]:
    """``raw`` with only the touched items and no nodes: what the model checks and flatten
    reads (the nodes are flattened on their own, ``_nodes_part``)."""
    out = dict(raw)
    for section in ITEMIZED:
        items = raw.get(section, {})
        if isinstance(items, Mapping):  # else the model refuses it, naming the section
            names = touched.get(section, set())
            out[section] = {k: items[k] for k in names if k in items}
    out["nodes"] = {}
    return out


def _nodes_part(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` with its nodes and no workloads, components or Helm releases."""
    return {**raw, **{section: {} for section in ITEMIZED}}


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


def _still_there(snap: Snapshot, key: Key) -> set[str]:
    """Nodes of ``snap`` that could hold a reading of node fact ``key``: a missing one is
    unknown, not gone (a node without a GPU, or outside the key's role, holds none)."""
    path = path_of(key)
    role = path[1].name if len(path) > 1 and isinstance(path[1], Selector) else None
    gpu = section_of(key) == "gpu"
    out = set()
    for name, node in snap.nodes.items():
        if gpu and node.gpu is None:
            continue
        if role is not None and role not in {ROLE_ALIASES.get(r) for r in node.role_names()}:
            continue
        out.add(name)
    return out


def _differs(old: SiteFacts, new: SiteFacts, key: Key) -> bool:
    a, b = old.values.get(key, _MISSING), new.values.get(key, _MISSING)
    if a is _MISSING or b is _MISSING:
        return a is not b
    # Node facts and unequal raw values are decided against the known state.
    return key in new.node_forms or type(a) is not type(b) or a != b


class Timeline:
    """Feed a site's stored snapshots oldest first (``add``); each returns its ``Step``.

    ``since`` holds, per fact, the last change (seq, collected_at, change): where the fact's
    current value began. ``whole``: flatten every item of every snapshot, not only the items
    whose JSON differs (the same result, slower: the tests and the benchmark compare the two).
    """

    def __init__(self, site: str, whole: bool = False) -> None:
        self.site = site
        self.whole = whole
        self.since: dict[Key, tuple[int, str, Change]] = {}
        self.latest: Mapping[str, Any] | None = None
        self._seq = 0
        self._known: dict[Key, object] = {}  # every fact's last known value
        self._nodes: dict[Key, _Nodes] = {}  # node facts: the readings behind the value
        self._stale: dict[Key, int] = {}  # unknown now -> seq where last known
        self._carried: set[Key] = set()  # known facts absent now, their section failed
        self._node_cache: tuple[int, Snapshot] = (0, Snapshot(site=site, collected_at=""))

    def add(
        self,
        seq: int,
        collected_at: str,
        sha256: str,
        raw: Mapping[str, Any],
        gaps: tuple[Gap, ...] = (),
    ) -> Step:
        prev, prev_seq = self.latest, self._seq
        self.latest, self._seq = raw, seq
        if prev is None:
            snap = _typed(raw, self._where(seq))
            facts = flatten(self.site, snap)
            self._start(facts)
            self._node_cache = (seq, snap)
            return Step(seq, collected_at, sha256, None, (), gaps, facts.failures, len(self._known))
        touched = _everything(prev, raw) if self.whole else _touched(prev, raw)
        old = flatten(self.site, _typed(_part(prev, touched), self._where(prev_seq)))
        new = flatten(self.site, _typed(_part(raw, touched), self._where(seq)))
        for section in ITEMIZED:
            # A section flattened with some of its items only is not an empty section.
            if _items(prev, section):
                old.values.pop(section, None)
            if _items(raw, section):
                new.values.pop(section, None)
        keys = {k for k in old.values.keys() | new.values.keys() if _differs(old, new, k)}
        found = [self._fact(key, new, prev_seq) for key in keys | self._carried]
        if "nodes" in touched:
            snap, nodes = self._nodes_of(raw, seq, prev, prev_seq)
            for key in nodes.node_forms.keys() | self._nodes.keys():
                found.append(self._node_fact(key, nodes, snap))
        elif self._node_cache[0] == prev_seq:  # the same nodes: still good for the next one
            self._node_cache = (seq, self._node_cache[1])
        changes = sorted(
            (c for c in found if c is not None), key=lambda c: (_ORDER.get(c.category, 99), c.key)
        )
        for change in changes:
            self.since[change.key] = (seq, collected_at, change)
        known = len(self._known)
        return Step(seq, collected_at, sha256, prev_seq, tuple(changes), gaps, new.failures, known)

    def _where(self, seq: int) -> str:
        return f"{self.site} seq {seq} snapshot.json"

    def _nodes_of(
        self, raw: Mapping[str, Any], seq: int, prev: Mapping[str, Any], prev_seq: int
    ) -> tuple[Snapshot, SiteFacts]:
        """The nodes of ``raw`` typed and flattened, with cut GPU names resolved against the
        bundle before (its typed nodes are kept from the step before: nodes change with every
        collection, clock offsets do)."""
        snap = _typed(_nodes_part(raw), self._where(seq))
        cached_seq, before = self._node_cache
        if cached_seq != prev_seq:
            before = _typed(_nodes_part(prev), self._where(prev_seq))
        self._node_cache = (seq, snap)
        (_, _), (_, resolved) = resolve_snapshots([(self.site, before), (self.site, snap)])
        return resolved, flatten(self.site, resolved)

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

    def _node_fact(self, key: Key, new: SiteFacts, snap: Snapshot) -> Change | None:
        readings = [r for r in new.node_forms.get(key, ()) if r[1] is not None]
        last = self._nodes.get(key)
        if last is not None:
            have = {n for n, _, _ in readings}
            failed = section_of(key) in new.unknown_sections
            there = _still_there(snap, key)
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
