"""What rules read from an (overlaid) snapshot: components, their nodes, list attributes, paths,
and why a fact is unknown (the collection failure behind it, or what the release does not give)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from driftctl.policy.model import Finding, GateSeverity, Rule
from driftctl.snapshot import Component, FactPath, Failure, JsonValue, Node, Snapshot
from driftctl.snapshot.lookup import lookup
from driftctl.snapshot.path import parse

_NO_NODE = Node()
# Cross-site facts computed once per run: (rule kind, key) -> value by site.
FleetMemo = dict[tuple[str, str], dict[str, JsonValue]]


@dataclass(frozen=True)
class SiteContext:
    """One site as a rule sees it: its overlaid snapshot and, for cross-site rules, the fleet's."""

    site: str
    snapshot: Snapshot
    fleet: Mapping[str, Snapshot]
    # One memo shared by every site of a run, for cross-site rules (same_across_sites).
    memo: FleetMemo = field(default_factory=dict, compare=False)
    # --allow-unknown: a block rule that cannot be checked warns instead of blocking.
    allow_unknown: bool = False
    # Why the release leaves a component fact unknown here, by ``component.attribute``.
    release_gaps: Mapping[str, str] = field(default_factory=dict)

    def finding(
        self,
        rule: Rule,
        text: str,
        *,
        unknown: bool = False,
        components: Sequence[str] = (),
        nodes: Sequence[str] = (),
        values: Mapping[str, JsonValue] | None = None,
    ) -> Finding:
        """A finding of ``rule`` here, with the rule's severity.

        Unknown facts cannot vouch for the site: they keep the rule's severity too (the gate
        fails closed) unless ``allow_unknown`` turns a block into a warning.
        """
        message = f"{rule.id}: {text}"
        if rule.message and not unknown:
            message += f" ({rule.message})"
        severity = rule.severity
        if unknown and self.allow_unknown:
            severity = GateSeverity.WARN
        return Finding(
            rule=rule.id,
            site=self.site,
            severity=severity,
            message=message,
            unknown=unknown,
            components=tuple(components),
            nodes=tuple(nodes),
            values=dict(values or {}),
        )

    def cannot_check(
        self,
        rule: Rule,
        what: str,
        why: str = "",
        *,
        components: Sequence[str] = (),
        nodes: Sequence[str] = (),
    ) -> Finding:
        """``cannot check: <what> unknown at <site> (<why>)`` as an unknown finding."""
        text = f"cannot check: {what} unknown at {self.site}" + (f" ({why})" if why else "")
        return self.finding(rule, text, unknown=True, components=components, nodes=nodes)

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

    # -- why a fact is unknown -------------------------------------------------------------------

    def why_component(self, name: str, attribute: str | None = None) -> str:
        """Why a component (or one of its attributes) is unknown here, as well as it is known."""
        if attribute is not None and f"{name}.{attribute}" in self.release_gaps:
            return self.release_gaps[f"{name}.{attribute}"]
        if self.component(name) is None:
            return "the site config defines no such component"
        mine = [f.error for f in self.snapshot.failures if f.target == f"components/{name}"]
        if attribute is not None:
            exact = [e for e in mine if e.startswith(f"{attribute} (")]
            mine = exact or [e for e in mine if e.startswith("workload ")]
        if not mine:
            return "not collected" if attribute is None else f"no {attribute} recorded"
        causes = [mine[0]]
        if "(no workload facts)" in mine[0]:
            causes += self._causes(("kubernetes/workloads",))
        return "collection failed: " + "; ".join(causes)

    def why_node(self, node: str, *collectors: str) -> str:
        """The collection failures of ``collectors`` on ``node``, or ''."""
        causes = self._causes((node, f"nodes/{node}"), collectors)
        return "collection failed: " + "; ".join(causes) if causes else ""

    def why_workload_nodes(self, name: str) -> str:
        """Why the nodes where a component's pods run are unknown."""
        comp = self.component(name)
        workload = comp.workload if comp else None
        causes = self._causes(("kubernetes/pods", "kubernetes/workloads"))
        if causes:
            return "collection failed: " + "; ".join(causes)
        return f"workload {workload} not collected" if workload else "it names no workload"

    def why_nodes(self) -> str:
        causes = self._causes(("kubernetes/nodes",))
        return "collection failed: " + "; ".join(causes) if causes else ""

    def why_path(self, path: FactPath) -> str:
        """Why a snapshot path is unknown: the failures of the section it lies in, if any."""
        section = path[0] if path else ""
        parts = [p for p in path if isinstance(p, str)]
        if section == "components" and len(parts) >= 3:
            return self.why_component(parts[1], parts[2])
        if section in ("helm", "nodes", "kubernetes"):
            found = [self._line(f) for f in self.snapshot.failures if f.collector == section]
            if found:
                return "collection failed: " + "; ".join(found[:2])
        return "not in the snapshot"

    def _causes(self, targets: Sequence[str], collectors: Sequence[str] = ()) -> list[str]:
        found = [
            self._line(f)
            for f in self.snapshot.failures
            if f.target in targets and (not collectors or f.collector in collectors)
        ]
        return found[:2]

    @staticmethod
    def _line(failure: Failure) -> str:
        return f"{failure.target}: {failure.error}"


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
