"""A fact value as a person reads it, whole: the words of diff messages and of every report."""

from __future__ import annotations

import json
from collections.abc import Mapping

from driftctl.strictjson import finite


def distribution(key: str, value: object) -> Mapping[object, int] | None:
    """``value`` if it is a node fact's per-site distribution ``{value: node count}``, else None
    (returned typed, where a yes or no would leave ``value`` an ``object``)."""
    if (
        key.startswith("nodes")
        and isinstance(value, Mapping)
        and bool(value)
        and all(type(v) is int for v in value.values())
    ):
        return value
    return None


def show_value(value: object, key: str = "") -> str:
    """The whole value as a person reads it (never cut): ``—`` for unknown, node distributions
    as ``550.54.15×3, 535.54.03×1``, strings as they are, anything else as JSON. Not escaped:
    the renderer escapes for its medium."""
    if value is None:
        return "—"
    counts = distribution(key, value)
    if counts is not None:
        return ", ".join(f"{k}×{n}" for k, n in counts.items())
    if isinstance(value, str):
        return value
    return json.dumps(finite(value), sort_keys=True, ensure_ascii=False)
