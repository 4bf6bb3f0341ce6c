"""``policy check``: every name a rule reads must exist at one or more sites or in the release.

A typo in a policy (``timeoutSecond``, ``parser_apis``, role ``controlplane``) would otherwise
make the rule "unknown" everywhere and never judge anything. Each problem names the policy
file, the rule, the key, and the nearest name that does exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from driftctl.errors import InputError
from driftctl.policy.facts import resolve_path
from driftctl.policy.hints import did_you_mean
from driftctl.policy.model import Policy
from driftctl.policy.refs import Ref, RefKind
from driftctl.snapshot import FactPath, JsonValue, Snapshot
from driftctl.snapshot.path import parse

# Component facts every component has, whether or not a site could read them.
COMPONENT_FACTS = frozenset({"version", "workload"})


@dataclass(frozen=True)
class Problem:
    """A rule that names something no site has."""

    rule: str
    key: str
    text: str

    def line(self, source: str) -> str:
        return f"{source}: rule {self.rule!r}: key {self.key!r}: {self.text}"


@dataclass(frozen=True)
class Fleet:
    """The names the snapshots (release overlaid) hold, gathered once."""

    snapshots: tuple[Snapshot, ...]
    components: dict[str, set[str]]
    roles: set[str]

    @classmethod
    def of(cls, snapshots: Iterable[Snapshot]) -> Fleet:
        snaps = tuple(snapshots)
        components: dict[str, set[str]] = {}
        roles: set[str] = set()
        for snap in snaps:
            for name, comp in snap.components.items():
                components.setdefault(name, set()).update(comp.attributes)
            for node in snap.nodes.values():
                roles.update(node.role_names())
        return cls(snaps, components, roles)


def _nearest_path(fleet: Fleet, path: FactPath) -> str:
    """The hint for a path that resolves nowhere: the closest key where it stops resolving."""
    best: tuple[int, str, list[str]] = (-1, "", [])
    for snap in fleet.snapshots:
        node: JsonValue = snap.to_dict()
        depth = 0
        for segment in path:
            if not isinstance(segment, str) or not isinstance(node, dict) or segment not in node:
                break
            node, depth = node[segment], depth + 1
        if depth > best[0] and isinstance(node, dict) and depth < len(path):
            missing = path[depth]
            best = (depth, missing if isinstance(missing, str) else "", list(node))
    _, missing, keys = best
    return did_you_mean(missing, keys) if missing else ""


def _check_ref(ref: Ref, fleet: Fleet) -> str | None:
    if ref.kind is RefKind.COMPONENT:
        if ref.value in fleet.components:
            return None
        hint = did_you_mean(ref.value, fleet.components)
        return f"component {ref.value!r} exists at no site and not in the release{hint}"
    if ref.kind is RefKind.ATTRIBUTE:
        attrs = fleet.components.get(ref.component or "")
        if attrs is None or ref.value in attrs or ref.value in COMPONENT_FACTS:
            return None  # an unknown component is reported under its own key
        hint = did_you_mean(ref.value, attrs - {"sources", "workload", "image"})
        return (
            f"{ref.component} has no attribute {ref.value!r} at any site nor in the release{hint}"
        )
    if ref.kind is RefKind.ROLE:
        if ref.value in fleet.roles:
            return None
        hint = did_you_mean(ref.value, fleet.roles | {"all"})
        return f"no node has role {ref.value!r} at any site{hint}"
    path = parse(ref.value)
    for snap in fleet.snapshots:
        if resolve_path(snap, path)[0]:
            return None
    hint = _nearest_path(fleet, path)
    return f"{ref.value} resolves at no site and not in the release{hint}"


def problems(policy: Policy, snapshots: Iterable[Snapshot]) -> list[Problem]:
    """Every rule reference that resolves nowhere, in policy order."""
    fleet = Fleet.of(snapshots)
    found = []
    for rule in policy.rules:
        for ref in rule.config.refs():
            text = _check_ref(ref, fleet)
            if text is not None:
                found.append(Problem(rule.id, ref.key, text))
    return found


def check_policy(policy: Policy, snapshots: Sequence[Snapshot]) -> None:
    """Raise InputError (exit 2) naming the first problem; no snapshots means nothing to check."""
    if not snapshots:
        return
    found = problems(policy, snapshots)
    if found:
        more = f" (and {len(found) - 1} more: driftctl policy check)" if len(found) > 1 else ""
        raise InputError(found[0].line(policy.source) + more)
