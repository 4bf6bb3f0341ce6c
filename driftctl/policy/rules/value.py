"""Rule kind ``value``: a snapshot path is bounded (max/min), fixed (equals/one_of) or uniform."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from driftctl import validate as v
from driftctl.errors import InputError
from driftctl.policy.facts import SiteContext, resolve_path, show
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.snapshot import FactPath, JsonValue, PathError

KIND = "value"
KEYS = {"path", "max", "min", "equals", "one_of", "same_across_sites"}
REQUIRED = {"path"}
_CHECKS = KEYS - {"path"}


@dataclass(frozen=True)
class ValueRule:
    path: str
    fact: FactPath  # ``path`` parsed (docs/snapshot.md, fact paths)
    max: float | None
    min: float | None
    equals: object  # a scalar as YAML reads it
    has_equals: bool
    one_of: tuple[object, ...] | None
    same_across_sites: bool

    def refs(self) -> list[Ref]:
        return [Ref("path", RefKind.PATH, self.path)]


def parse(raw: Mapping[str, object], where: str) -> ValueRule:
    if not _CHECKS & set(raw):
        raise InputError(f"{where}: needs one of {', '.join(sorted(_CHECKS))}")
    one_of = raw.get("one_of")
    if "one_of" in raw and (not isinstance(one_of, list) or not one_of):
        raise InputError(f"{where}: key 'one_of' must be a non-empty list")
    for key in ("equals", "one_of"):
        if key in raw and any(isinstance(x, dict | list) for x in _items(raw[key], key)):
            raise InputError(f"{where}: key {key!r} takes scalars only")
    path = v.string(raw, "path", where)
    try:
        fact = FactPath.parse(path)
    except PathError as exc:
        raise InputError(f"{where}: key 'path': {exc}") from None
    return ValueRule(
        path=path,
        fact=fact,
        max=v.number(raw, "max", where) if "max" in raw else None,
        min=v.number(raw, "min", where) if "min" in raw else None,
        equals=raw.get("equals"),
        has_equals="equals" in raw,
        one_of=tuple(one_of) if isinstance(one_of, list) else None,
        same_across_sites=(
            v.boolean(raw, "same_across_sites", where) if "same_across_sites" in raw else False
        ),
    )


def _items(value: object, key: str) -> list[object]:
    return list(value) if key == "one_of" and isinstance(value, list) else [value]


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _same(a: object, b: object) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return bool(a == b)


def _fleet_values(rule: ValueRule, ctx: SiteContext) -> dict[str, JsonValue]:
    key = ("value", rule.path)
    if key not in ctx.memo:
        values: dict[str, JsonValue] = {}
        for site, snap in ctx.fleet.items():
            found, value = resolve_path(snap, rule.fact)
            if found and value is not None:
                values[site] = value
        ctx.memo[key] = values
    return ctx.memo[key]


def _canon(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True)


def check(rule: Rule, ctx: SiteContext) -> Iterator[Finding]:
    cfg = rule.config
    assert isinstance(cfg, ValueRule)
    found, value = resolve_path(ctx.snapshot, cfg.fact)
    if not found or value is None:
        yield ctx.cannot_check(rule, cfg.path, ctx.why_path(cfg.fact))
        return
    shown = show(value)
    problems: list[str] = []
    if cfg.max is not None or cfg.min is not None:
        number = _number(value)
        if number is None:
            yield ctx.finding(
                rule,
                f"cannot check: {cfg.path} is {shown!r} at {ctx.site}, not a number",
                unknown=True,
            )
        elif cfg.max is not None and number > cfg.max:
            problems.append(f"above max {cfg.max:g}")
        elif cfg.min is not None and number < cfg.min:
            problems.append(f"below min {cfg.min:g}")
    if cfg.has_equals and not _same(value, cfg.equals):
        problems.append(f"expected {show(cfg.equals)}")
    if cfg.one_of is not None and not any(_same(value, o) for o in cfg.one_of):
        problems.append(f"expected one of {show(list(cfg.one_of))}")
    values: dict[str, JsonValue] = {cfg.path: value}
    if cfg.same_across_sites:
        others = _fleet_values(cfg, ctx)
        differ = {s: x for s, x in others.items() if s != ctx.site and _canon(x) != _canon(value)}
        if differ:
            listing = ", ".join(f"{show(x)} at {s}" for s, x in sorted(differ.items()))
            problems.append(f"differs across sites ({listing})")
            values.update({f"{cfg.path}@{s}": x for s, x in differ.items()})
    if problems:
        yield ctx.finding(rule, f"{cfg.path} is {shown}, {'; '.join(problems)}", values=values)
