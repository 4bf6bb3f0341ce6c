"""Strict field validators shared by the policy and release loaders; errors name file, rule, key."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from packaging.specifiers import SpecifierSet

from driftctl.errors import InputError
from driftctl.safeio import check_keys, expect_mapping
from driftctl.versions import parse_specifier

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")


def string(
    raw: Mapping[str, object], key: str, where: str, pattern: re.Pattern[str] | None = None
) -> str:
    """A required non-empty string (numbers are refused: YAML turns ``2.10`` into ``2.1``)."""
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        hint = " (quote it)" if isinstance(value, int | float) else ""
        raise InputError(f"{where}: key {key!r} must be a non-empty string{hint}")
    if pattern is not None and not pattern.match(value):
        raise InputError(f"{where}: key {key!r}: bad name {value!r}")
    return value.strip()


def optional_string(raw: Mapping[str, object], key: str, where: str) -> str | None:
    return string(raw, key, where) if key in raw else None


def specifier(raw: Mapping[str, object], key: str, where: str) -> SpecifierSet:
    """A required ``packaging`` version specifier (``>=2.0,<4``)."""
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where}: key {key!r} must be a version specifier string")
    return parse_specifier(str(value), f"{where}: key {key!r}")


def number(raw: Mapping[str, object], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: key {key!r} must be a number")
    return float(value)


def boolean(raw: Mapping[str, object], key: str, where: str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        raise InputError(f"{where}: key {key!r} must be true or false")
    return value


def mapping(
    raw: Mapping[str, object], key: str, where: str, allowed: set[str]
) -> dict[str, object]:
    """A required nested mapping whose keys are all required and allowed."""
    if key not in raw:
        raise InputError(f"{where}: missing required key {key!r}")
    inner = expect_mapping(raw[key], f"{where}: key {key!r}")
    check_keys(inner, allowed, f"{where}: {key}", required=allowed)
    return inner
