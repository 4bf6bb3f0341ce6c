"""Rule kind ``version-pair``: when one component is in a range, another must be in its range."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet

from driftctl import validate as v
from driftctl.policy.facts import SiteContext
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.versions import satisfies

KIND = "version-pair"
KEYS = {"when", "require"}
REQUIRED = {"when", "require"}


@dataclass(frozen=True)
class Side:
    component: str
    version: SpecifierSet
    text: str


@dataclass(frozen=True)
class VersionPair:
    when: Side
    require: Side

    def refs(self) -> list[Ref]:
        return [
            Ref("when.component", RefKind.COMPONENT, self.when.component),
            Ref("require.component", RefKind.COMPONENT, self.require.component),
        ]


def _side(raw: Mapping[str, object], key: str, where: str) -> Side:
    inner = v.mapping(raw, key, where, {"component", "version"})
    sub = f"{where}: {key}"
    spec = v.specifier(inner, "version", sub)
    return Side(v.string(inner, "component", sub), spec, str(inner["version"]))


def parse(raw: Mapping[str, object], where: str) -> VersionPair:
    return VersionPair(_side(raw, "when", where), _side(raw, "require", where))


def _version(
    ctx: SiteContext, rule: Rule, side: Side, names: tuple[str, ...]
) -> tuple[str | None, Finding | None]:
    comp = ctx.component(side.component)
    if comp is None:
        why = ctx.why_component(side.component)
        return None, ctx.cannot_check(rule, f"component {side.component}", why, components=names)
    version = comp.get("version")
    if version is None:
        why = ctx.why_component(side.component, "version")
        return None, ctx.cannot_check(rule, f"{side.component} version", why, components=names)
    return str(version), None


def _not_a_version(
    ctx: SiteContext, rule: Rule, name: str, version: str, names: tuple[str, ...]
) -> Finding:
    return ctx.finding(
        rule,
        f"cannot check: {name} version {version!r} at {ctx.site} is not a version",
        unknown=True,
        components=names,
    )


def check(rule: Rule, ctx: SiteContext) -> Iterator[Finding]:
    cfg = rule.config
    assert isinstance(cfg, VersionPair)
    names = (cfg.when.component, cfg.require.component)
    when_version, problem = _version(ctx, rule, cfg.when, names)
    if problem is not None:
        yield problem
    if when_version is None:
        return
    applies = satisfies(when_version, cfg.when.version)
    if applies is None:
        yield _not_a_version(ctx, rule, cfg.when.component, when_version, names)
        return
    if not applies:
        return
    need_version, problem = _version(ctx, rule, cfg.require, names)
    if problem is not None:
        yield problem
    if need_version is None:
        return
    ok = satisfies(need_version, cfg.require.version)
    if ok is None:
        yield _not_a_version(ctx, rule, cfg.require.component, need_version, names)
    elif not ok:
        yield ctx.finding(
            rule,
            f"{cfg.when.component} {when_version} requires {cfg.require.component} "
            f"{cfg.require.text}, found {cfg.require.component} {need_version}",
            components=names,
            values={
                f"{cfg.when.component}.version": when_version,
                f"{cfg.require.component}.version": need_version,
            },
        )
