"""``policy check``: every name a rule reads must exist at one or more sites or in the release.

A typo in a policy (``timeoutSecond``, ``parser_apis``, role ``controlplane``) would otherwise
make the rule "unknown" everywhere and never judge anything. Each problem names the policy
file, the rule, the key, and the nearest name that does exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftctl.errors import InputError
from driftctl.policy.facts import resolve_path
from driftctl.policy.hints import did_you_mean
from driftctl.policy.model import Policy, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.policy.rules import REGISTRY

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

    snapshots: tuple[Mapping[str, Any], ...]
    components: dict[str, set[str]]
    roles: set[str]

    @classmethod
    def of(cls, snapshots: Iterable[Mapping[str, Any]]) -> Fleet:
        snaps = tuple(s for s in snapshots if isinstance(s, Mapping))
        components: dict[str, set[str]] = {}
        roles: set[str] = set()
        for snap in snaps:
            for name, comp in _mapping(snap.get("components")).items():
                components.setdefault(str(name), set()).update(str(k) for k in _mapping(comp))
            for node in _mapping(snap.get("nodes")).values():
                found = _mapping(node).get("roles")
                if isinstance(found, list):
                    roles.update(str(r) for r in found)
        return cls(snaps, components, roles)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _nearest_path(fleet: Fleet, path: str) -> str:
    """The hint for a path that resolves nowhere: the closest key where it stops resolving."""
    best: tuple[int, str, list[str]] = (-1, path, [])
    for snap in fleet.snapshots:
        node: Any = snap
        rest = path
        done = 0
        while isinstance(node, Mapping) and rest:
            keys = [
                k for k in node if isinstance(k, str) and (rest == k or rest.startswith(k + "."))
            ]
            if not keys:
                break
            key = max(keys, key=len)
            node, rest, done = node[key], rest[len(key) + 1 :], done + len(key) + 1
        if done > best[0] and isinstance(node, Mapping):
            best = (done, rest, [k for k in node if isinstance(k, str)])
    _, rest, keys = best
    head = rest.split(".", 1)[0]
    return did_you_mean(head, keys)


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
    for snap in fleet.snapshots:
        if resolve_path(snap, ref.value)[0]:
            return None
    hint = _nearest_path(fleet, ref.value)
    return f"{ref.value} resolves at no site and not in the release{hint}"


def _rule_refs(rule: Rule) -> list[Ref]:
    return REGISTRY[rule.kind].refs(rule.config)


def problems(policy: Policy, snapshots: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Every rule reference that resolves nowhere, in policy order."""
    fleet = Fleet.of(snapshots)
    found = []
    for rule in policy.rules:
        for ref in _rule_refs(rule):
            text = _check_ref(ref, fleet)
            if text is not None:
                found.append(Problem(rule.id, ref.key, text))
    return found


def check_policy(policy: Policy, snapshots: Sequence[Mapping[str, Any]]) -> None:
    """Raise InputError (exit 2) naming the first problem; no snapshots means nothing to check."""
    if not snapshots:
        return
    found = problems(policy, snapshots)
    if found:
        more = f" (and {len(found) - 1} more: driftctl policy check)" if len(found) > 1 else ""
        raise InputError(found[0].line(policy.source) + more)
