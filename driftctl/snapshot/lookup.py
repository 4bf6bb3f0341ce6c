"""Facts by path: what a policy ``value`` rule reads (``helm.ai/docai.values.mcpHub.timeoutSeconds``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from driftctl.snapshot.codec import Model, codec
from driftctl.snapshot.jsonvalue import ABSENT, JsonValue
from driftctl.snapshot.path import Segment


def to_json(value: object) -> JsonValue:
    """The JSON form of any model value (a model object, enum, tuple, mapping or JSON)."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, StrEnum):  # the model's enums are all StrEnums
        return value.value
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"{type(value).__name__} is not a model value")


def _child(node: object, segment: str) -> tuple[bool, object]:
    if isinstance(node, Model):
        shape = codec(type(node))
        if segment in shape.names:
            value = getattr(node, segment)
            return value is not ABSENT, value
        extra = getattr(node, shape.cls.EXTRA) if shape.cls.EXTRA else {}
        return segment in extra, extra.get(segment)
    if isinstance(node, Mapping):
        return segment in node, node.get(segment)
    if isinstance(node, tuple | list) and segment.isascii() and segment.isdigit():
        index = int(segment)
        return index < len(node), node[index] if index < len(node) else None
    return False, None


def lookup(root: Model, path: Sequence[Segment]) -> tuple[bool, JsonValue]:
    """``(found, value)`` at ``path`` below ``root``, the value in its JSON form.

    Segments are exact keys (a key holding dots is one quoted segment); a digit segment indexes
    a list. An absent key is not found; a ``null`` one is found with the value None.
    """
    node: object = root
    for segment in path:
        if not isinstance(segment, str):
            return False, None  # a selector names a subset, not a key
        found, node = _child(node, segment)
        if not found:
            return False, None
    return True, to_json(node)
