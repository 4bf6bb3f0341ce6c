"""Many sites' flat facts held as one reference site and, per site, what differs from it.

At 500 sites × 20 000 facts, every site's facts would be ten million entries, nearly all of them
the first site's values again. The first site added is the reference; every site keeps only its
``delta`` — key → value where its value is not the reference's (same type and ``==``), and
``MISSING`` where it lacks a fact the reference has. Memory then follows the drift, not the
fleet, and the engine judges only the keys some site differs on.

A site read from the facts index (driftctl.diff.index) whose keys are byte for byte those of
the first indexed site is compared block by block as bytes; only the blocks that differ are
parsed and compared value by value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

from driftctl.diff.flatten import Key, SiteFacts
from driftctl.diff.index import BLOCK, IndexedSite, Unusable

MISSING: Final = object()  # a fact the site lacks (in a delta), or no such fact here


@dataclass
class _RawRef:
    """The first indexed site: its key line and value blocks as bytes, and its own delta."""

    site: IndexedSite
    delta: dict[Key, object]  # its plain facts' delta from the reference


@dataclass
class Fleet:
    """The sites of one diff, in the order added: ``facts[i]`` without its values, ``deltas[i]``."""

    facts: list[SiteFacts] = field(default_factory=list)
    deltas: list[dict[Key, object]] = field(default_factory=list)
    ref: dict[Key, object] = field(default_factory=dict)
    _positions: list[int] = field(default_factory=list)
    _raw: _RawRef | None = None
    _ref_nodes: frozenset[Key] = frozenset()

    def add(self, facts: SiteFacts, position: int | None = None) -> None:
        """A flattened site; its values are taken into the fleet (the reference, or a delta).

        ``position``: where the site goes in the report (default: after those added so far).
        """
        first = not self.facts
        self._append(facts, self._delta(facts.values), position)
        if first:
            self._ref_nodes = frozenset(facts.forms)

    def add_indexed(self, site: IndexedSite, position: int | None = None) -> None:
        """A site from its facts index; Unusable (the fleet unchanged) when the index turns out
        damaged."""
        nodes = site.node_facts()
        raw = self._raw
        first = not self.facts
        if raw is not None and site.keys_line == raw.site.keys_line:
            delta = self._from_blocks(site, raw)
            for key in self._ref_nodes - nodes.values.keys():
                delta[key] = MISSING
            delta.update(nodes.values)  # node facts get the engine's full judgement anyway
        else:
            delta = self._delta({**site.plain(), **nodes.values})
            if raw is None:
                skip = self._ref_nodes | nodes.values.keys()
                self._raw = _RawRef(site, {k: v for k, v in delta.items() if k not in skip})
        if first:
            self._ref_nodes = frozenset(nodes.values)
        self._append(nodes, delta, position)

    def value(self, i: int, key: Key) -> object:
        """Site ``i``'s value of ``key``, or MISSING."""
        return self.deltas[i].get(key, self.ref.get(key, MISSING))

    def ordered(self) -> Fleet:
        """The sites in report order (their positions), the reference unchanged."""
        if self._positions != sorted(self._positions):
            order = sorted(range(len(self.facts)), key=self._positions.__getitem__)
            self.facts = [self.facts[i] for i in order]
            self.deltas = [self.deltas[i] for i in order]
            self._positions = sorted(self._positions)
        return self

    def _append(self, facts: SiteFacts, delta: dict[Key, object], position: int | None) -> None:
        self.facts.append(replace(facts, values={}) if facts.values else facts)
        self.deltas.append(delta)
        self._positions.append(len(self._positions) if position is None else position)

    def _delta(self, values: dict[Key, object]) -> dict[Key, object]:
        if not self.facts:
            self.ref = dict(values)
            return {}
        get = self.ref.get
        delta = {
            k: v
            for k, v in values.items()
            if (r := get(k, MISSING)) is not v and (type(r) is not type(v) or r != v)
        }
        added = sum(1 for k in delta if k not in self.ref)
        if len(values) - added != len(self.ref):
            for k in self.ref.keys() - values.keys():
                delta[k] = MISSING
        return delta

    def _from_blocks(self, site: IndexedSite, raw: _RawRef) -> dict[Key, object]:
        """The delta of a site whose keys are the first indexed site's: blocks equal as bytes
        hold equal values; in the others, each value that differs from that site's."""
        base = raw.site
        if len(site.blocks) != len(base.blocks) or site.count != base.count:
            raise Unusable("value blocks do not match its keys")
        delta = dict(raw.delta)
        keys = base.keys
        get = self.ref.get
        for b, line in enumerate(site.blocks):
            if line == base.blocks[b]:
                continue
            start = b * BLOCK
            for j, (v, o) in enumerate(zip(site.block(b), base.block(b), strict=True)):
                if type(v) is type(o) and v == o:
                    continue
                key = keys[start + j]
                r = get(key, MISSING)
                if type(r) is type(v) and r == v:
                    delta.pop(key, None)
                else:
                    delta[key] = v
        return delta
