"""Rule kind ``api-contract``: the consumer's API version must be one the provider serves."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from driftctl import validate as v
from driftctl.policy.facts import SiteContext, as_list, show
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.snapshot import Component

KIND = "api-contract"
KEYS = {"consumer", "provider"}
REQUIRED = {"consumer", "provider"}


@dataclass(frozen=True)
class Endpoint:
    """A component attribute: ``{component, attribute}``."""

    component: str
    attribute: str


@dataclass(frozen=True)
class ApiContract:
    consumer: Endpoint
    provider: Endpoint

    def refs(self) -> list[Ref]:
        out = []
        for side, end in (("consumer", self.consumer), ("provider", self.provider)):
            out.append(Ref(f"{side}.component", RefKind.COMPONENT, end.component))
            out.append(Ref(f"{side}.attribute", RefKind.ATTRIBUTE, end.attribute, end.component))
        return out


def _endpoint(raw: Mapping[str, object], key: str, where: str) -> Endpoint:
    inner = v.mapping(raw, key, where, {"component", "attribute"})
    sub = f"{where}: {key}"
    return Endpoint(v.string(inner, "component", sub), v.string(inner, "attribute", sub))


def parse(raw: Mapping[str, object], where: str) -> ApiContract:
    return ApiContract(_endpoint(raw, "consumer", where), _endpoint(raw, "provider", where))


def _label(name: str, comp: Component | None) -> str:
    version = comp.get("version") if comp else None
    return f"{name} {version}" if version is not None else name


def check(rule: Rule, ctx: SiteContext) -> Iterator[Finding]:
    cfg = rule.config
    assert isinstance(cfg, ApiContract)
    con, pro = cfg.consumer, cfg.provider
    names = (con.component, pro.component)
    consumer, provider = ctx.component(con.component), ctx.component(pro.component)
    for name, comp in ((con.component, consumer), (pro.component, provider)):
        if comp is None:
            yield ctx.cannot_check(
                rule, f"component {name}", ctx.why_component(name), components=names
            )
            return
    assert consumer is not None and provider is not None
    wants = as_list(consumer.get(con.attribute))
    serves = as_list(provider.get(pro.attribute))
    for name, attr, value in (
        (con.component, con.attribute, wants),
        (pro.component, pro.attribute, serves),
    ):
        if not value:
            yield ctx.cannot_check(
                rule, f"{name} {attr}", ctx.why_component(name, attr), components=names
            )
            return
    assert wants is not None and serves is not None
    missing = [w for w in wants if w not in serves]
    if missing:
        yield ctx.finding(
            rule,
            f"{_label(con.component, consumer)} calls {pro.component} API {show(missing)}, "
            f"{_label(pro.component, provider)} serves {show(serves)}",
            components=names,
            values={
                f"{con.component}.{con.attribute}": show(wants),
                f"{pro.component}.{pro.attribute}": show(serves),
                f"{con.component}.version": consumer.get("version"),
                f"{pro.component}.version": provider.get("version"),
            },
        )
