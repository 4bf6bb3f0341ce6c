"""Decoded JSON narrowed to the types of the snapshot's fields: what does not fit is refused."""

from __future__ import annotations

_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    dict: "an object",
    list: "an array",
}


class NotAFact(ValueError):
    """A value in an object that does not have the type of the fact it gives; ``str()`` says
    which value and what it is."""


def text(value: object, what: str) -> str | None:
    """A string fact: null stays null (nothing learned), any other non-string is refused."""
    if value is None or isinstance(value, str):
        return value
    raise NotAFact(
        f"{what}: expected a string, got {_KINDS.get(type(value), type(value).__name__)}"
    )


def required_text(value: object, what: str) -> str:
    """A string fact that cannot be null."""
    found = text(value, what)
    if found is None:
        raise NotAFact(f"{what}: missing")
    return found
