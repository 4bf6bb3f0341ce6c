"""What rules read from an (overlaid) snapshot: components, their nodes, list attributes, paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftctl.policy.model import Finding, GateSeverity, Rule
from driftctl.snapshot import Component, FactPath, JsonValue, Node, Snapshot
from driftctl.snapshot.lookup import lookup
from driftctl.snapshot.path import parse

_NO_NODE = Node()


@dataclass(frozen=True)
class SiteContext:
    """One site as a rule sees it: its overlaid snapshot and, for cross-site rules, the fleet's."""

    site: str
    snapshot: Snapshot
    fleet: Mapping[str, Snapshot]
    # One memo shared by every site of a run, for cross-site rules (same_across_sites).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)

    def finding(
        self,
        rule: Rule,
        text: str,
        *,
        unknown: bool = False,
        components: Sequence[str] = (),
        nodes: Sequence[str] = (),
        values: Mapping[str, object] | None = None,
    ) -> Finding:
        """A finding of ``rule`` here: the rule's severity, or ``warn`` when facts are unknown."""
        message = f"{rule.id}: {text}"
        if rule.message and not unknown:
            message += f" ({rule.message})"
        return Finding(
            rule=rule.id,
            site=self.site,
            severity=GateSeverity.WARN if unknown else rule.severity,
            message=message,
            unknown=unknown,
            components=tuple(components),
            nodes=tuple(nodes),
            values=dict(values or {}),
        )

    def component(self, name: str) -> Component | None:
        return self.snapshot.components.get(name)

    def node(self, name: str) -> Node:
        """The node's facts; a node the snapshot does not know has none (every fact absent)."""
        return self.snapshot.nodes.get(name, _NO_NODE)

    def node_names(self) -> list[str]:
        return sorted(self.snapshot.nodes)

    def component_nodes(self, name: str) -> list[str] | None:
        """Sorted nodes where the component's pods run, or None when unknown."""
        comp = self.component(name)
        workload = comp.workload if comp else None
        entry = self.snapshot.workloads.get(workload) if workload is not None else None
        if entry is None or entry.nodes is None:
            return None
        return sorted(entry.nodes)


def as_list(value: object) -> list[str] | None:
    """A list attribute as written in the field: a YAML/JSON list or ``"v1,v2"``; None if unknown."""
    if value is None:
        return None
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None]
    return [str(value)]


def show(value: object) -> str:
    """A short human rendering of a value in a finding message."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_path(snapshot: Snapshot, path: str | FactPath) -> tuple[bool, JsonValue]:
    """``(found, value)`` at a fact path (docs/snapshot.md): ``helm.ai/docai.values.a`` or, for a
    key holding dots, ``helm["ai.v2/x"].values.a``. A digit segment indexes a list."""
    return lookup(snapshot, parse(path) if isinstance(path, str) else path)
