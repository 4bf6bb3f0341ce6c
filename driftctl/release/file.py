"""``--release FILE``: the hand-written release, strictly validated."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TypeGuard

from driftctl import validate as v
from driftctl.errors import InputError
from driftctl.release.model import Form, Release, ReleaseComponent
from driftctl.safeio import check_keys, expect_mapping
from driftctl.safeyaml import load_yaml_file
from driftctl.snapshot import JsonValue

ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# A release changes what runs, never where it runs (the pods stay on today's nodes), and never
# how a site reads its facts.
FORBIDDEN = {"workload", "sources"}


def load_release(path: Path) -> Release:
    """Read and validate ``--release FILE``."""
    return parse_release(load_yaml_file(path), str(path))


def parse_release(doc: object, source: str) -> Release:
    top = expect_mapping(doc, source)
    check_keys(top, {"release", "components"}, source, required={"release", "components"})
    name = v.string(top, "release", source)
    comps = expect_mapping(top["components"], f"{source}: key 'components'")
    if not comps:
        raise InputError(f"{source}: key 'components' is empty; the release changes nothing")
    parsed = tuple(_component(cname, raw, source) for cname, raw in sorted(comps.items()))
    return Release(name=name, source=source, form=Form.FILE, components=parsed)


def _scalar(value: object) -> TypeGuard[str | int | float | bool]:
    if isinstance(value, float):
        return math.isfinite(value)  # YAML ``.inf``: no JSON, no fact
    return isinstance(value, str | int | bool)


def _attribute(value: object) -> JsonValue:
    """A scalar or a list of scalars as JSON; None for anything else (a mapping, a date, null)."""
    if _scalar(value):
        return value
    if isinstance(value, list) and all(_scalar(x) for x in value):
        return value
    return None


def _component(name: str, raw: object, source: str) -> ReleaseComponent:
    where = f"{source}: component {name!r}"
    if not COMPONENT.fullmatch(name):
        raise InputError(f"{source}: key 'components': bad component name {name!r}")
    entry = expect_mapping(raw, where)
    if not entry:
        raise InputError(f"{where}: sets nothing")
    attributes: dict[str, JsonValue] = {}
    for key, value in entry.items():
        if key in FORBIDDEN:
            raise InputError(f"{where}: key {key!r} cannot be set by a release")
        if not ATTRIBUTE.fullmatch(key):
            raise InputError(f"{where}: bad key {key!r}")
        if key in ("version", "image"):
            continue
        attribute = _attribute(value)
        if attribute is None:
            raise InputError(f"{where}: key {key!r} must be a scalar or a list of scalars")
        attributes[key] = attribute
    return ReleaseComponent(
        name=name,
        version=v.optional_string(entry, "version", where),
        image=v.optional_string(entry, "image", where),
        attributes=attributes,
    )
