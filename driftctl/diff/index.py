"""The facts index: one bundle's flat facts, written at import, so diff need not rebuild them.

For diff, a stored snapshot costs its JSON, the typed model (which checks every value again)
and flattening: about 27 ms per site at 20 000 facts. The index holds what flattening gives —
the plain facts as a column of keys and blocks of values, and the node readings — so diff reads
flat facts directly, and compares each block of values as bytes with the same block of the
first site before parsing it (most blocks are equal across a fleet). Layout (docs/store.md):

    {"schema", "site", "seq", "bundle_sha256", "count", "blocks": N, "crc32"}  header
    ["kubernetes.server_version", …]                    the plain facts' keys, in flatten's order
    [value, …]                                          N lines of up to BLOCK values, key order
    {"unknown": …, "failures": …, "intra": …, "gpu": …, "nodes": …}   the rest of the site's facts

ASCII, one compact JSON value per line. It is never trusted blindly: ``parse`` refuses an index
of another schema, of another bundle (the sha256 the store recorded for it), or whose lines do
not match the header's CRC-32 or shape, and the caller then reads the snapshot. ``store check``
recomputes the index from the verified bundle (``encode``) and reports any difference.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftctl.diff.flatten import Key, NodeReadings, SiteFacts, add_nodes, plain_facts
from driftctl.diff.gpu_names import names_of
from driftctl.snapshot import Snapshot

# The schema names the meaning of what is stored, not only its layout: change it whenever
# flattening changes what a snapshot's facts are (tests/test_diff_index.py holds a golden index).
SCHEMA = "driftctl.facts/v1"
BLOCK = 256


class Unusable(ValueError):
    """An index that cannot stand for its bundle (missing parts, another bundle, damaged)."""


class OtherSchema(Unusable):
    """An index another driftctl wrote (expected after an upgrade: its site's next bundle
    brings a current one)."""


def _line(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"


def _refuse_constant(name: str) -> object:
    raise ValueError(f"non-finite number {name}")


def _loads(line: bytes) -> Any:
    return json.loads(line, parse_constant=_refuse_constant)


def encode(site: str, seq: int, bundle_sha256: str, snapshot: Snapshot) -> bytes:
    """The index of one verified bundle's snapshot (deterministic: same snapshot, same bytes)."""
    facts, readings = plain_facts(site, snapshot)
    names, cut = names_of(snapshot)
    keys = list(facts.values)
    values = list(facts.values.values())
    blocks = [_line(values[i : i + BLOCK]) for i in range(0, len(values), BLOCK)]
    rest = {
        "unknown": sorted(facts.unknown_sections),
        "failures": facts.failures,
        "intra": facts.intra,
        "gpu": {"names": sorted(names), "cut": cut},
        "nodes": [[selector, part, per, unknown] for selector, part, per, unknown in readings],
    }
    body = b"".join([_line(keys), *blocks, _line(rest)])
    header = {
        "schema": SCHEMA,
        "site": site,
        "seq": seq,
        "bundle_sha256": bundle_sha256,
        "count": len(keys),
        "blocks": len(blocks),
        "crc32": zlib.crc32(body),
    }
    return _line(header) + body


@dataclass
class IndexedSite:
    """A parsed index: the keys and value blocks as read (bytes), the rest of the facts parsed."""

    site: str
    seq: int
    count: int
    keys_line: bytes
    blocks: list[bytes]
    rest: Mapping[str, Any]
    _keys: list[Key] | None = field(default=None, repr=False)
    _values: dict[int, list[Any]] = field(default_factory=dict, repr=False)

    @property
    def keys(self) -> list[Key]:
        if self._keys is None:
            try:
                keys = _loads(self.keys_line)
            except ValueError:
                raise Unusable("keys: not JSON") from None
            if not isinstance(keys, list) or not all(type(k) is str for k in keys):
                raise Unusable("keys: not a list of strings")
            if len(keys) != self.count:
                raise Unusable(f"{len(keys)} keys, not the header's {self.count}")
            self._keys = keys
        return self._keys

    def block(self, b: int) -> list[Any]:
        """The values of block ``b``, parsed once."""
        found = self._values.get(b)
        if found is None:
            try:
                found = _loads(self.blocks[b])
            except ValueError:
                raise Unusable(f"values block {b}: not JSON") from None
            if not isinstance(found, list) or len(found) != min(BLOCK, self.count - b * BLOCK):
                raise Unusable(f"values block {b}: not the number of values the header says")
            self._values[b] = found
        return found

    def plain(self) -> dict[Key, Any]:
        """Every plain fact, key to value (what the fast path of ``Fleet`` avoids building)."""
        values = [v for b in range(len(self.blocks)) for v in self.block(b)]
        return dict(zip(self.keys, values, strict=True))

    @property
    def gpu_cut(self) -> bool:
        """Whether the snapshot shows GPU names the plain nvidia-smi table cut short."""
        return bool(self.rest["gpu"]["cut"])

    @property
    def gpu_names(self) -> set[str]:
        return set(self.rest["gpu"]["names"])

    def node_facts(self) -> SiteFacts:
        """The site's facts but its plain values: node facts, intra-site pods, what is unknown."""
        rest = self.rest
        facts = SiteFacts(
            self.site,
            {},
            {},
            frozenset(rest["unknown"]),
            intra=dict(rest["intra"]),
            failures=dict(rest["failures"]),
        )
        readings: NodeReadings = [
            (selector, part, [(node, value) for node, value in per], unknown)
            for selector, part, per, unknown in rest["nodes"]
        ]
        add_nodes(readings, facts.values, facts)
        return facts

    def facts(self) -> SiteFacts:
        """Everything ``flatten`` gives for the snapshot this index was made from."""
        nodes = self.node_facts()
        return SiteFacts(
            self.site,
            {**self.plain(), **nodes.values},
            nodes.forms,
            nodes.unknown_sections,
            nodes.node_forms,
            nodes.intra,
            nodes.failures,
        )


def _rest_shape(rest: object) -> bool:
    if not isinstance(rest, dict) or set(rest) != {"unknown", "failures", "intra", "gpu", "nodes"}:
        return False
    gpu = rest["gpu"]
    return (
        isinstance(rest["unknown"], list)
        and all(isinstance(s, str) for s in rest["unknown"])
        and isinstance(rest["failures"], dict)
        and all(isinstance(v, str) for v in rest["failures"].values())
        and isinstance(rest["intra"], dict)
        and all(isinstance(v, str) for v in rest["intra"].values())
        and isinstance(gpu, dict)
        and isinstance(gpu.get("names"), list)
        and all(isinstance(n, str) for n in gpu["names"])
        and type(gpu.get("cut")) is bool
        and isinstance(rest["nodes"], list)
        and all(_reading_shape(r) for r in rest["nodes"])
    )


def _reading_shape(reading: object) -> bool:
    if not isinstance(reading, list) or len(reading) != 4:
        return False
    selector, part, per, unknown = reading
    return (
        isinstance(selector, str)
        and isinstance(part, str)
        and type(unknown) is int
        and isinstance(per, list)
        and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in per)
    )


def parse(data: bytes, site: str, seq: int, bundle_sha256: str) -> IndexedSite:
    """The index of ``site`` seq ``seq`` whose bundle has ``bundle_sha256``; Unusable otherwise.

    The keys and value blocks are checked against the CRC-32 here and parsed when first used
    (``IndexedSite.keys``, ``block``), which may raise Unusable too.
    """
    lines = data.split(b"\n")
    if len(lines) < 4 or lines[-1] != b"":
        raise Unusable("not an index (too few lines, or no final newline)")
    try:
        header = _loads(lines[0])
    except ValueError:
        raise Unusable("header: not JSON") from None
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        schema = header.get("schema") if isinstance(header, dict) else None
        raise OtherSchema(f"schema {schema!r}, not {SCHEMA!r} (written by another driftctl)")
    if (header.get("site"), header.get("seq")) != (site, seq):
        raise Unusable(f"made for {header.get('site')!r} seq {header.get('seq')!r}")
    if header.get("bundle_sha256") != bundle_sha256:
        raise Unusable("made from another bundle (its sha256 is not the stored bundle's)")
    count, blocks = header.get("count"), header.get("blocks")
    if type(count) is not int or count < 0 or blocks != -(-count // BLOCK):
        raise Unusable("the number of values or of their blocks is not right")
    if len(lines) != blocks + 4:
        raise Unusable("the number of value blocks is not the header's")
    body_start = len(lines[0]) + 1
    if zlib.crc32(memoryview(data)[body_start:]) != header.get("crc32"):
        raise Unusable("damaged (CRC-32 mismatch)")
    try:
        rest = _loads(lines[-2])
    except ValueError:
        raise Unusable("facts other than values: not JSON") from None
    if not _rest_shape(rest):
        raise Unusable("facts other than values: unexpected shape")
    return IndexedSite(site, seq, count, lines[1], lines[2:-2], rest)
