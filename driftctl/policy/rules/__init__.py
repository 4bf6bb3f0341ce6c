"""Rule kinds: one module per kind (``KIND``, ``KEYS``, ``parse``, ``check``), listed explicitly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from driftctl.policy.facts import SiteContext
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref
from driftctl.policy.rules import api_contract, gpu, time, value, version_pair


@dataclass(frozen=True)
class RuleKind:
    """How to validate and evaluate one kind of rule."""

    kind: str
    keys: frozenset[str]
    required: frozenset[str]
    parse: Callable[[dict[str, Any], str], object]
    check: Callable[[Rule, SiteContext], Iterator[Finding]]
    refs: Callable[[Any], list[Ref]]  # the names it reads, for `policy check`


REGISTRY: dict[str, RuleKind] = {
    m.KIND: RuleKind(m.KIND, frozenset(m.KEYS), frozenset(m.REQUIRED), m.parse, m.check, m.refs)
    for m in (api_contract, version_pair, gpu, time, value)
}
