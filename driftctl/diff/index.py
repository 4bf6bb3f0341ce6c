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
from dataclasses import dataclass, field

from driftctl.diff.flatten import Key, NodeReadings, SiteFacts, add_nodes, plain_facts
from driftctl.diff.gpu_names import names_of
from driftctl.snapshot import Snapshot
from driftctl.strictjson import JsonValue

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


def _loads(line: bytes) -> JsonValue:
    value: JsonValue = json.loads(line, parse_constant=_refuse_constant)
    return value


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


@dataclass(frozen=True)
class Rest:
    """The index's last line, decoded: the site's facts other than the plain values."""

    unknown: frozenset[str]
    failures: dict[str, str]
    intra: dict[Key, str]
    gpu_names: frozenset[str]
    gpu_cut: bool
    nodes: NodeReadings


@dataclass
class IndexedSite:
    """A parsed index: the keys and value blocks as read (bytes), the rest of the facts parsed."""

    site: str
    seq: int
    count: int
    keys_line: bytes
    blocks: list[bytes]
    rest: Rest
    _keys: list[Key] | None = field(default=None, repr=False)
    _values: dict[int, list[JsonValue]] = field(default_factory=dict, repr=False)

    @property
    def keys(self) -> list[Key]:
        if self._keys is None:
            try:
                keys = _loads(self.keys_line)
            except ValueError:
                raise Unusable("keys: not JSON") from None
            if not isinstance(keys, list):
                raise Unusable("keys: not a list of strings")
            strings = [k for k in keys if type(k) is str]
            if len(strings) != len(keys):
                raise Unusable("keys: not a list of strings")
            if len(strings) != self.count:
                raise Unusable(f"{len(strings)} keys, not the header's {self.count}")
            self._keys = strings
        return self._keys

    def block(self, b: int) -> list[JsonValue]:
        """The values of block ``b``, parsed once."""
        found = self._values.get(b)
        if found is None:
            try:
                parsed = _loads(self.blocks[b])
            except ValueError:
                raise Unusable(f"values block {b}: not JSON") from None
            if not isinstance(parsed, list) or len(parsed) != min(BLOCK, self.count - b * BLOCK):
                raise Unusable(f"values block {b}: not the number of values the header says")
            found = self._values[b] = parsed
        return found

    def plain(self) -> dict[Key, object]:
        """Every plain fact, key to value (what the fast path of ``Fleet`` avoids building)."""
        values = [v for b in range(len(self.blocks)) for v in self.block(b)]
        return dict(zip(self.keys, values, strict=True))

    @property
    def gpu_cut(self) -> bool:
        """Whether the snapshot shows GPU names the plain nvidia-smi table cut short."""
        return self.rest.gpu_cut

    @property
    def gpu_names(self) -> set[str]:
        return set(self.rest.gpu_names)

    def node_facts(self) -> SiteFacts:
        """The site's facts but its plain values: node facts, intra-site pods, what is unknown."""
        rest = self.rest
        facts = SiteFacts(
            self.site,
            {},
            {},
            rest.unknown,
            intra=dict(rest.intra),
            failures=dict(rest.failures),
        )
        add_nodes(rest.nodes, facts.values, facts)
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


def _strings(value: JsonValue) -> list[str] | None:
    """``value`` as a list of strings, or None when it is not one."""
    if not isinstance(value, list):
        return None
    out = [v for v in value if isinstance(v, str)]
    return out if len(out) == len(value) else None


def _string_map(value: JsonValue) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    out = {k: v for k, v in value.items() if isinstance(v, str)}
    return out if len(out) == len(value) else None


def _reading(value: JsonValue) -> tuple[str, str, list[tuple[str, object]], int] | None:
    if not isinstance(value, list) or len(value) != 4:
        return None
    selector, part, per, unknown = value
    if not (isinstance(selector, str) and isinstance(part, str) and type(unknown) is int):
        return None
    if not isinstance(per, list):
        return None
    pairs: list[tuple[str, object]] = []
    for p in per:
        if not (isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)):
            return None
        pairs.append((p[0], p[1]))
    return selector, part, pairs, unknown


def _decode_rest(rest: JsonValue) -> Rest | None:
    """The last line as a Rest, or None when it has not the shape ``encode`` writes."""
    if not isinstance(rest, dict) or set(rest) != {"unknown", "failures", "intra", "gpu", "nodes"}:
        return None
    gpu, nodes = rest["gpu"], rest["nodes"]
    unknown, failures = _strings(rest["unknown"]), _string_map(rest["failures"])
    intra = _string_map(rest["intra"])
    if unknown is None or failures is None or intra is None or not isinstance(gpu, dict):
        return None
    names, cut = _strings(gpu.get("names")), gpu.get("cut")
    if names is None or not isinstance(cut, bool) or not isinstance(nodes, list):
        return None
    readings = [_reading(r) for r in nodes]
    checked = [r for r in readings if r is not None]
    if len(checked) != len(readings):
        return None
    return Rest(frozenset(unknown), failures, intra, frozenset(names), cut, checked)


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
        rest = _decode_rest(_loads(lines[-2]))
    except ValueError:
        raise Unusable("facts other than values: not JSON") from None
    if rest is None:
        raise Unusable("facts other than values: unexpected shape")
    return IndexedSite(site, seq, count, lines[1], lines[2:-2], rest)
