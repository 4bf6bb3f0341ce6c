"""Redacted Kubernetes Lists as evidence: one document, or parts that fit the member cap."""

from __future__ import annotations

import json
from collections.abc import Sequence

from driftctl.strictjson import JsonValue

LIST_HEAD = b'{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":['
LIST_TAIL = b"]}\n"
_OVERHEAD = len(LIST_HEAD) + len(LIST_TAIL)


def list_document(items: Sequence[bytes]) -> bytes:
    """The List document of redacted items, as ``json.dumps`` writes the whole List compactly."""
    return LIST_HEAD + b",".join(items) + LIST_TAIL


def list_members(path: str, items: Sequence[bytes], cap: int | None) -> list[tuple[str, bytes]]:
    """``path`` as one List document, or, past ``cap`` bytes, as parts ``NAME.part-001.json``…
    of whole items in their order, each at most ``cap`` (never a part named ``path``, which a
    reader would take for the whole list). One item alone over the cap cannot be split: the
    whole document is returned, and the bundle writer refuses it by name."""
    size = _OVERHEAD + sum(len(item) for item in items) + max(len(items) - 1, 0)
    if cap is None or size <= cap or not path.endswith(".json"):
        return [(path, list_document(items))]
    parts: list[list[bytes]] = [[]]
    size = _OVERHEAD
    for item in items:
        if _OVERHEAD + len(item) > cap:
            return [(path, list_document(items))]
        if parts[-1] and size + 1 + len(item) > cap:
            parts.append([])
            size = _OVERHEAD
        size += len(item) + (1 if parts[-1] else 0)
        parts[-1].append(item)
    stem = path.removesuffix(".json")
    return [(f"{stem}.part-{n:03d}.json", list_document(p)) for n, p in enumerate(parts, 1)]


def list_items(data: bytes) -> list[bytes] | None:
    """The items of a redacted List document (a dump's, judged whole) as compact JSON, None
    when it is not a List."""
    if not data.startswith(b"{"):
        return None
    try:
        doc: JsonValue = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    items = doc.get("items")
    if not isinstance(items, list) or not str(doc.get("kind", "")).endswith("List"):
        return None
    return [json.dumps(item, separators=(",", ":")).encode() for item in items]
