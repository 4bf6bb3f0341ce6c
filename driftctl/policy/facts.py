"""What rules read from an (overlaid) snapshot: components, their nodes, list attributes, paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftctl.policy.model import Finding, Rule, Severity


@dataclass(frozen=True)
class SiteContext:
    """One site as a rule sees it: its overlaid snapshot and, for cross-site rules, the fleet's."""

    site: str
    snapshot: Mapping[str, Any]
    fleet: Mapping[str, Mapping[str, Any]]
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
        values: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding of ``rule`` here: the rule's severity, or ``warn`` when facts are unknown."""
        message = f"{rule.id}: {text}"
        if rule.message and not unknown:
            message += f" ({rule.message})"
        return Finding(
            rule=rule.id,
            site=self.site,
            severity=Severity.WARN if unknown else rule.severity,
            message=message,
            unknown=unknown,
            components=tuple(components),
            nodes=tuple(nodes),
            values=dict(values or {}),
        )

    def component(self, name: str) -> Mapping[str, Any] | None:
        comps = self.snapshot.get("components")
        comp = comps.get(name) if isinstance(comps, Mapping) else None
        return comp if isinstance(comp, Mapping) else None

    def node(self, name: str) -> Mapping[str, Any]:
        nodes = self.snapshot.get("nodes")
        node = nodes.get(name) if isinstance(nodes, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def node_names(self) -> list[str]:
        nodes = self.snapshot.get("nodes")
        return sorted(nodes) if isinstance(nodes, Mapping) else []

    def component_nodes(self, name: str) -> list[str] | None:
        """Sorted nodes where the component's pods run, or None when unknown."""
        comp = self.component(name)
        workload = comp.get("workload") if comp else None
        workloads = self.snapshot.get("workloads")
        if not isinstance(workload, str) or not isinstance(workloads, Mapping):
            return None
        entry = workloads.get(workload)
        nodes = entry.get("nodes") if isinstance(entry, Mapping) else None
        if not isinstance(nodes, list):
            return None
        return sorted(str(n) for n in nodes)


def as_list(value: Any) -> list[str] | None:
    """A list attribute as written in the field: a YAML/JSON list or ``"v1,v2"``; None if unknown."""
    if value is None:
        return None
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None]
    return [str(value)]


def show(value: Any) -> str:
    """A short human rendering of a value in a finding message."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_path(root: Any, path: str) -> tuple[bool, Any]:
    """Resolve a dotted snapshot path whose keys may contain dots or slashes.

    At each level the longest existing key that the remaining path starts with wins
    (``helm.ai-platform/docai.values.mcpHub.timeoutSeconds``); shorter keys are tried when the
    longer one leads nowhere. List items are addressed by index. Returns (found, value).
    """
    if path == "":
        return True, root
    if isinstance(root, Mapping):
        candidates = [
            k for k in root if isinstance(k, str) and (path == k or path.startswith(k + "."))
        ]
        for key in sorted(candidates, key=len, reverse=True):
            found, value = resolve_path(root[key], path[len(key) + 1 :])
            if found:
                return True, value
        return False, None
    if isinstance(root, list):
        head, _, rest = path.partition(".")
        if head.isdigit() and int(head) < len(root):
            return resolve_path(root[int(head)], rest)
    return False, None
