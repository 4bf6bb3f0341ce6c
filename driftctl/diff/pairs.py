"""The facts that differ between consecutive snapshots of a site, found through their JSON.

Consecutive snapshots of a site are nearly equal. Their JSON forms are compared first, item by
item (each workload, component and Helm release; the ``kubernetes`` section and the nodes as one
item each), with the interpreter's own ``==``. Only items that differ are typed and flattened by
``driftctl.diff.flatten`` (the fact paths and node facts of ``diff``); ``driftctl.diff.timeline``
compares them fact by fact. Equal JSON is equal facts, so nothing is skipped that could differ;
and items that were never typed equal items that were (the oldest snapshot is typed whole), so
every item has passed the model. A ``Pair`` holds only what differs: a worker process can make
the pairs of a run of bundles and hand them over (docs/store.md, "History").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias

from driftctl.diff.flatten import ROLE_ALIASES, SiteFacts, flatten
from driftctl.diff.gpu_names import resolve_snapshots
from driftctl.errors import OperationalError
from driftctl.snapshot import ModelError, Snapshot
from driftctl.strictjson import JsonObject, JsonValue

ITEMIZED = ("workloads", "components", "helm")  # sections compared item by item
WHOLE = ("kubernetes", "nodes")  # compared as one item each
_MISSING: Final = object()
# A stored snapshot's JSON as read (store.layout.read_snapshot), before the model has typed it.
Raw: TypeAlias = Mapping[str, JsonValue]


@dataclass(frozen=True)
class Roster:
    """Which nodes a snapshot lists, whether each has a GPU, and its roles (as diff names them):
    what tells a node without a reading from a node that is gone."""

    nodes: tuple[tuple[str, bool, frozenset[str]], ...]  # name, has no GPU, roles

    @classmethod
    def of(cls, snap: Snapshot) -> Roster:
        return cls(
            tuple(
                (
                    name,
                    node.gpu is None,
                    frozenset(ROLE_ALIASES.get(r, r) for r in node.role_names()),
                )
                for name, node in snap.nodes.items()
            )
        )


@dataclass(frozen=True)
class Pair:
    """One bundle against the bundle before it: the flat facts of the items that differ.

    ``old`` is None for the first bundle (``new`` then holds every fact); ``nodes`` is set when
    the nodes (or the failures, which decide what about them is unknown) differ.
    """

    seq: int
    old: SiteFacts | None
    new: SiteFacts
    nodes: tuple[Roster, SiteFacts] | None = None


def typed(raw: Raw, where: str) -> Snapshot:
    """A stored snapshot's JSON through the model; a store file that fails it is damaged."""
    try:
        return Snapshot.from_dict(dict(raw), where)
    except ModelError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def _items(raw: Raw, section: str) -> Mapping[str, JsonValue]:
    items = raw.get(section, {})
    return items if isinstance(items, Mapping) else {}


def touched(old: Raw, new: Raw) -> dict[str, set[str]]:
    """Per itemized section, the names of items that differ; ``WHOLE`` sections by name."""
    out: dict[str, set[str]] = {}
    for section in ITEMIZED:
        before, after = _items(old, section), _items(new, section)
        names = {k for k, v in after.items() if before.get(k, _MISSING) != v}
        names.update(k for k in before if k not in after)
        if names:
            out[section] = names
    for section in WHOLE:
        if old.get(section, _MISSING) != new.get(section, _MISSING):
            out[section] = set()
    if old.get("failures") != new.get("failures"):
        out["nodes"] = set()  # a failed node's facts are unknown, not gone
    return out


def everything(old: Raw, new: Raw) -> dict[str, set[str]]:
    """Every item of both: the comparison without the pre-filter (tests and benchmark)."""
    out = {s: set(_items(old, s)) | set(_items(new, s)) for s in ITEMIZED}
    return out | {s: set() for s in WHOLE}


def _part(raw: Raw, names: Mapping[str, set[str]]) -> JsonObject:
    """``raw`` with only the named items and no nodes (those are flattened on their own)."""
    out = dict(raw)
    for section in ITEMIZED:
        items = raw.get(section, {})
        if isinstance(items, Mapping):  # else the model refuses it, naming the section
            wanted = names.get(section, set())
            out[section] = {k: items[k] for k in wanted if k in items}
    out["nodes"] = {}
    return out


def _nodes_part(raw: Raw) -> JsonObject:
    """``raw`` with its nodes and no workloads, components or Helm releases."""
    return {**raw, **{section: {} for section in ITEMIZED}}


class PairReader:
    """Turns a site's snapshots, given oldest first, into ``Pair``s (keeps only the one before).

    ``whole``: flatten every item of every snapshot, not only the items whose JSON differs (the
    same result, slower: the tests and the benchmark compare the two).
    """

    def __init__(self, site: str, whole: bool = False) -> None:
        self.site = site
        self.whole = whole
        self.latest: Raw | None = None
        self._seq = 0
        self._nodes: Snapshot | None = None  # the typed nodes of ``latest``, when known

    def start(self, seq: int, raw: Raw) -> None:
        """Begin after ``seq`` without a pair for it (a worker's run starts mid-history)."""
        self.latest, self._seq, self._nodes = raw, seq, None

    def pair(self, seq: int, raw: Raw) -> Pair:
        prev, prev_seq, prev_nodes = self.latest, self._seq, self._nodes
        self.latest, self._seq = raw, seq
        if prev is None:
            snap = typed(raw, self._where(seq))
            self._nodes = snap
            return Pair(seq, None, flatten(self.site, snap))
        names = everything(prev, raw) if self.whole else touched(prev, raw)
        old = flatten(self.site, typed(_part(prev, names), self._where(prev_seq)))
        new = flatten(self.site, typed(_part(raw, names), self._where(seq)))
        for section in ITEMIZED:
            # A section flattened with some of its items only is not an empty section.
            if _items(prev, section):
                old.values.pop(section, None)
            if _items(raw, section):
                new.values.pop(section, None)
        if "nodes" not in names:
            return Pair(seq, old, new)
        snap = typed(_nodes_part(raw), self._where(seq))
        self._nodes = snap
        before = prev_nodes or typed(_nodes_part(prev), self._where(prev_seq))
        # GPU names the plain nvidia-smi table cut short, resolved against the bundle before
        (_, _), (_, resolved) = resolve_snapshots([(self.site, before), (self.site, snap)])
        return Pair(seq, old, new, (Roster.of(resolved), flatten(self.site, resolved)))

    def _where(self, seq: int) -> str:
        return f"{self.site} seq {seq} snapshot.json"
