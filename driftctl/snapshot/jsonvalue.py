"""JSON values as the snapshot holds them: the type, and the check that refuses hostile ones."""

from __future__ import annotations

import copy
import math
from enum import Enum
from typing import Final

# Helm values, component attributes: any JSON. Defined beside the strict parser that produces it.
from driftctl.strictjson import JsonArray as JsonArray
from driftctl.strictjson import JsonObject as JsonObject
from driftctl.strictjson import JsonValue as JsonValue

MAX_DEPTH: Final = 64


class Absent(Enum):
    """A key the JSON object does not hold; distinct from JSON ``null`` (a learned "nothing")."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent.ABSENT


class BadValue(Exception):
    """A value the model refuses; ``path`` collects the keys from the value up (reversed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


def check_string(text: str) -> str:
    """Refuse lone surrogates (JSON ``"\\ud800"``): they cannot be encoded, printed or stored."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadValue("string holds a lone surrogate (not valid Unicode)") from None
    return text


def check_number(value: float) -> float:
    """Refuse infinities and NaN (JSON ``1e400`` decodes to infinity)."""
    if not math.isfinite(value):
        raise BadValue(f"number {value!r} is not finite")
    return value


def check_json(value: object, depth: int = 0) -> JsonValue:
    """A copy of ``value`` if it is plain finite JSON; raise BadValue naming the offending key."""
    # Exact types, not isinstance: a str subclass (an enum) or a bool posing as an int is no JSON.
    if type(value) is str:
        return check_string(value)
    if type(value) is bool or type(value) is int or value is None:
        return value
    if type(value) is float:
        return check_number(value)
    if depth >= MAX_DEPTH:
        raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
    if type(value) is dict:
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if type(item) is str and item.isascii() and type(key) is str and key.isascii():
                out[key] = item  # the common leaf, checked inline
                continue
            try:
                if type(key) is not str:
                    raise BadValue(f"key {key!r} is not a string")
                out[check_string(key)] = check_json(item, depth + 1)
            except BadValue as exc:
                exc.path.append(str(key))
                raise
        return out
    if type(value) is list or type(value) is tuple:
        items: list[JsonValue] = []
        for index, item in enumerate(value):
            try:
                items.append(check_json(item, depth + 1))
            except BadValue as exc:
                exc.path.append(str(index))
                raise
        return items
    raise BadValue(f"{type(value).__name__} is not a JSON value")


def json_copy(value: JsonValue) -> JsonValue:
    """A deep copy, so a caller that edits the JSON form never edits the model."""
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value
