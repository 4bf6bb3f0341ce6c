"""Strict JSON for everything driftctl reads: what Python's json module would let through.

Python's parser keeps the last of duplicate keys, turns ``1e400`` into infinity, accepts
``NaN``, builds strings holding lone surrogates (which no UTF-8 output can print) and has no
bound on size. Each is refused here with an InputError naming the document.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NoReturn, TypeAlias, Union

from driftctl.errors import InputError

# What a JSON document decodes to. The Union spelling keeps it a runtime object the snapshot
# codec can recognise (``list["JsonValue"]`` is a forward reference mypy resolves recursively).
JsonValue: TypeAlias = Union[  # noqa: UP007 - see above
    str, int, float, bool, list["JsonValue"], dict[str, "JsonValue"], None
]
JsonObject: TypeAlias = dict[str, JsonValue]
JsonArray: TypeAlias = list[JsonValue]

MAX_JSON_DEPTH = 64


class _TooManyValues(ValueError):
    """Raised from the parser's hook to stop parsing a document that is over its value cap."""


# A lone surrogate can only come from a \u escape: strict UTF-8 decoding refuses encoded ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _pairs_hook(budget: int | None) -> Callable[[list[tuple[str, JsonValue]]], JsonObject]:
    """Build objects refusing duplicate keys; stop as soon as ``budget`` values are exceeded.

    The root plus every object member is a lower bound on the document's values (array
    elements come on top), so passing ``budget`` here proves the cap is exceeded: a hostile
    document stops parsing there instead of being built whole.
    """
    seen = 1

    def hook(pairs: list[tuple[str, JsonValue]]) -> JsonObject:
        nonlocal seen
        seen += len(pairs)
        if budget is not None and seen > budget:
            raise _TooManyValues
        return _unique_keys(pairs)

    return hook


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# Python refuses to convert longer integers (sys.get_int_max_str_digits); say it in our words.
MAX_INT_DIGITS = 4300


def _bounded_int(text: str) -> int:
    """A JSON integer; one of thousands of digits is refused before Python's own message."""
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer of {len(text.lstrip('-'))} digits (more than {MAX_INT_DIGITS})")
    return int(text)


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent; ``1e400`` would silently become infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def finite(value: object) -> object:
    """``value`` with every non-finite float as the string ``"inf"``, ``"-inf"`` or ``"nan"``:
    what driftctl writes as JSON or shows a person never holds a bare ``Infinity``/``NaN``."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _has_surrogate(text: str) -> bool:
    """A lone surrogate (``"\\ud800"``) decodes into a str that no UTF-8 writer can print."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json(
    value: object,
    where: str,
    max_depth: int = MAX_JSON_DEPTH,
    max_values: int | None = None,
    strings: bool = True,
) -> None:
    """Refuse a decoded document nested deeper than ``max_depth``, holding more than
    ``max_values`` values, or (``strings``) a lone surrogate in a key or string.

    One pass without recursion; scalars are counted per container, not visited one by one.
    """
    if isinstance(value, str):
        if strings and _has_surrogate(value):
            raise InputError(f"{where}: string {value[:40]!r} holds a lone surrogate")
        return
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[JsonObject | JsonArray, int]] = [(value, 1)]
    values = 1
    while stack:
        node, depth = stack.pop()
        if not node:
            continue
        if depth >= max_depth:
            raise InputError(f"{where}: JSON nested deeper than {max_depth} levels")
        values += len(node)
        if max_values is not None and values > max_values:
            raise InputError(f"{where}: more than {max_values} JSON values")
        if isinstance(node, dict):
            if strings:
                for key in node:
                    if _has_surrogate(key):
                        raise InputError(f"{where}: key {key[:40]!r} holds a lone surrogate")
            children: Iterable[JsonValue] = node.values()
        else:
            children = node
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif strings and isinstance(child, str) and _has_surrogate(child):
                raise InputError(f"{where}: string {child[:40]!r} holds a lone surrogate")


def parse_json(data: bytes | str, where: str, max_values: int | None = None) -> JsonValue:
    """The parsing half of ``loads_json``: strict tokens and keys, not yet depth or size."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if text.startswith("\ufeff"):
            raise ValueError("starts with a byte order mark (BOM); JSON is UTF-8 without one")
        value: JsonValue = json.loads(
            text,
            # No cap: the plain duplicate-key hook, without a counting closure per object.
            object_pairs_hook=_unique_keys if max_values is None else _pairs_hook(max_values),
            parse_constant=_reject_constant,
            parse_float=_finite,
            parse_int=_bounded_int,
        )
    except _TooManyValues:
        raise InputError(f"{where}: more than {max_values} JSON values") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:
        raise InputError(f"{where}: invalid JSON: {exc}") from None
    return value


def may_hold_surrogates(data: bytes | str, start: int = 0, end: int | None = None) -> bool:
    """False when the text (``data[start:end]``) has no ``\\uD800``–``\\uDFFF`` escape, so
    no string in it can hold one."""
    stop = len(data) if end is None else end
    if isinstance(data, bytes):
        return _SURROGATE_ESCAPE_BYTES.search(data, start, stop) is not None
    return _SURROGATE_ESCAPE.search(data, start, stop) is not None


def strict_decoder() -> json.JSONDecoder:
    """A decoder refusing what ``parse_json`` refuses (duplicate keys, NaN and infinity, numbers
    out of range, integers too long), for readers that take one value at a time with
    ``raw_decode``; depth and lone surrogates are then ``check_json``'s."""
    return json.JSONDecoder(
        object_pairs_hook=_unique_keys,
        parse_constant=_reject_constant,
        parse_float=_finite,
        parse_int=_bounded_int,
    )


def loads_json(
    data: bytes | str,
    where: str,
    max_depth: int = MAX_JSON_DEPTH,
    max_values: int | None = None,
) -> JsonValue:
    """Parse JSON strictly; errors (InputError) name ``where``.

    Strict means: UTF-8, no duplicate keys, no NaN/Infinity and no number that overflows to
    infinity, no lone surrogate in any string, bounded nesting, and at most ``max_values``
    values (objects, arrays, strings, numbers, booleans, nulls) when a cap is given.
    """
    value = parse_json(data, where, max_values)
    check_json(value, where, max_depth, max_values, strings=may_hold_surrogates(data))
    return value


def _unique_keys(pairs: list[tuple[str, JsonValue]]) -> JsonObject:
    """The smallest object hook that still refuses duplicate keys (with loads_json's words)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        keys: set[str] = set()
        for key, _value in pairs:
            if key in keys:
                raise ValueError(f"duplicate key {key!r}")
            keys.add(key)
    return out


def loads_stored_json(data: bytes, where: str) -> JsonValue:
    """JSON driftctl stored after ``loads_json`` accepted it (a snapshot in the store), parsed at
    about a third of the cost, with the same refusals and words for what a damaged or edited
    file can hold: not UTF-8, a BOM, not JSON, duplicate keys, NaN or infinite numbers,
    integers too long to convert, lone surrogates. The walk over every container runs only
    when the text has a surrogate escape at all (then the strict reader decides); depth and
    value caps were checked at import, and Python's own recursion bound still stops a file
    edited to nest without end.
    """
    if may_hold_surrogates(data):
        return loads_json(data, where)
    return parse_json(data, where)
