"""Rule kinds: one module per kind (``KIND``, ``KEYS``, ``parse``, ``check``), listed explicitly.

``parse`` returns the kind's frozen settings, whose ``refs()`` names what the rule reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from driftctl.policy.facts import SiteContext
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import RuleConfig
from driftctl.policy.rules import api_contract, gpu, time, value, version_pair


@dataclass(frozen=True)
class RuleKind:
    """How to validate and evaluate one kind of rule."""

    kind: str
    keys: frozenset[str]
    required: frozenset[str]
    parse: Callable[[Mapping[str, object], str], RuleConfig]
    check: Callable[[Rule, SiteContext], Iterator[Finding]]


class _KindModule(Protocol):
    """What each ``rules/<kind>.py`` module provides (checked by mypy on the tuple below)."""

    KIND: str
    KEYS: set[str]
    REQUIRED: set[str]

    def parse(self, raw: Mapping[str, object], where: str) -> RuleConfig: ...

    def check(self, rule: Rule, ctx: SiteContext) -> Iterator[Finding]: ...


_MODULES: tuple[_KindModule, ...] = (api_contract, version_pair, gpu, time, value)

REGISTRY: dict[str, RuleKind] = {
    m.KIND: RuleKind(m.KIND, frozenset(m.KEYS), frozenset(m.REQUIRED), m.parse, m.check)
    for m in _MODULES
}
