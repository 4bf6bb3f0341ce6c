"""A snapshot as flat facts ``path → value`` (docs/diff.md); node facts become distributions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from sys import intern

from driftctl.diff.normalize import (
    SERVER_FIELDS,
    VOLATILE_LABELS,
    comparable,
    key_kind,
    offset_bucket,
)
from driftctl.snapshot import (
    Absent,
    Gpu,
    GpuDevice,
    HelmRelease,
    Node,
    Snapshot,
    TimeFacts,
    Workload,
)
from driftctl.snapshot.path import Segment, Selector, path_of, suffix

# A fact's key: its FactPath as rendered (docs/snapshot.md). Rendering is injective, so the
# string stands for exactly one path, and strings keep their hash for the N-way lookups.
Key = str

NODE_INFO = ("kubelet_version", "container_runtime", "kernel_version", "os_image")  # not the IP
OFFSET = "time.offset_seconds"  # node facts are keyed below ``nodes``
MAX_OFFSET = "time.max_abs_offset_seconds"
SYNCHRONIZED = "time.synchronized"
ROLE_KEYS = frozenset({SYNCHRONIZED, MAX_OFFSET})
# Time facts are split out for the role whose clocks a quorum depends on (dqlite, etcd);
# k3s and older kubeadm call it "master".
ROLE_ALIASES = {"control-plane": "control-plane", "master": "control-plane"}
# Per-measurement noise of the clock daemon: differs on every poll, never configuration.
TIME_NOISE = frozenset({"root_dispersion", "root_delay", "error_bound_seconds", "error"})
# Which collector's failure makes an absent fact *unknown* rather than *changed*.
SECTION_COLLECTORS = {
    "kubernetes": {"kubernetes"},
    "workloads": {"workloads"},
    "components": {"components", "workloads"},
    "helm": {"helm"},
    "gpu": {"gpu", "nodes"},
    "clock": {"clock"},
    "nodes": {"nodes"},
}


def node_part(key: Key) -> tuple[Segment, ...]:
    """A node fact's segments below ``nodes``, without a role selector (``time``, ``offset…``)."""
    rest = path_of(key)[1:]
    return rest[1:] if rest and isinstance(rest[0], Selector) else rest


def is_per_role(key: Key) -> bool:
    """``nodes[control-plane].…``: a fact of the nodes of one role."""
    path = path_of(key)
    return len(path) > 1 and isinstance(path[1], Selector)


def section_of(key: Key) -> str:
    """The collection section a fact belongs to (``gpu``, ``clock``, ``helm``, …)."""
    top = path_of(key)[0]
    if top == "nodes":
        part = node_part(key)
        if len(part) > 1 and part[0] == "gpu":
            return "gpu"
        if len(part) > 1 and part[0] == "time":
            return "clock"
        return "nodes"
    return str(top)


@dataclass(frozen=True)
class SiteFacts:
    """One site's flat facts: display values, comparison forms and what is known to be unknown."""

    site: str
    values: dict[Key, object]
    forms: dict[Key, Hashable | None]  # precomputed only for node distributions
    unknown_sections: frozenset[str] = frozenset()
    node_forms: dict[Key, list[tuple[str, Hashable | None, object]]] = field(default_factory=dict)
    intra: dict[Key, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def form(self, key: Key, missing: object) -> object:
        """The comparison form of ``key`` here (``missing`` when the site has no such fact)."""
        if key in self.forms:
            return self.forms[key]
        if key in self.values:
            return comparable(key_kind(key), self.values[key])
        return missing

    def absent_is_unknown(self, key: Key) -> bool:
        """An absent fact is unknown (not changed) when its section failed or was not collected.

        A per-role node fact is unknown where no node carries the role's label.
        """
        return is_per_role(key) or section_of(key) in self.unknown_sections


DROPPED = SERVER_FIELDS | VOLATILE_LABELS


class Keys:
    """Rendered fact keys shared by every site of one diff, each built and interned once.

    Every site spells the same keys: a site's key is found by (parent key, segment), whose
    strings already carry their hashes, instead of being rendered again; all sites then share
    one string per key (at 500 sites × 20k facts, half a GiB less), and the engine's lookups
    of a key in every site's facts match by identity instead of comparing characters.
    """

    def __init__(self) -> None:
        self._children: dict[tuple[Key, str], Key] = {}
        self._attrs: dict[tuple[Key, str], Key] = {}
        self._values: dict[Key, str] = {}

    def child(self, parent: Key, segment: str) -> Key:
        """``parent`` followed by a key segment from the data (quoted when it must be)."""
        key = self._children.get((parent, segment))
        if key is None:
            key = self._children[(parent, segment)] = intern(parent + suffix(segment))
        return key

    def shared(self, key: Key, value: str) -> str:
        """``value``, or the equal string an earlier site holds under ``key``: most values agree
        across a fleet, so most sites keep no string of their own (about a third of the facts'
        memory at 20k facts per site)."""
        first = self._values.get(key)
        if first is None:
            self._values[key] = value
            return value
        return first if first == value else value

    def attr(self, parent: Key, name: str) -> Key:
        """``parent.name`` for a field name of the snapshot's own shape (never quoted)."""
        key = self._attrs.get((parent, name))
        if key is None:
            key = self._attrs[(parent, name)] = intern(f"{parent}.{name}")
        return key


def _walk(prefix: Key, value: object, out: dict[Key, object], drop: bool, keys: Keys) -> None:
    """JSON values below ``prefix`` as leaves; lists and empty objects are leaves themselves."""
    if type(value) is not dict or not value:
        out[prefix] = value
        return
    child = keys.child
    for k, v in value.items():
        if drop and k in DROPPED:
            continue
        if type(v) is dict and v:
            _walk(child(prefix, k), v, out, drop, keys)
        elif type(v) is str:
            key = child(prefix, k)
            out[key] = keys.shared(key, v)
        else:
            out[child(prefix, k)] = v


def _workloads(
    workloads: Mapping[str, Workload], out: dict[Key, object], intra: dict[Key, str], keys: Keys
) -> None:
    attr = keys.attr
    for wkey, w in workloads.items():
        base = keys.child("workloads", wkey)
        out[attr(base, "kind")] = w.kind
        out[attr(base, "replicas")] = w.replicas
        # where pods run (``nodes``) is scheduling, not configuration: not a fact to compare
        for name in ("labels", "annotations", "template_labels", "template_annotations"):
            _walk(attr(base, name), getattr(w, name), out, True, keys)
        containers = attr(base, "containers")
        for cname, c in w.containers.items():
            cbase = keys.child(containers, cname)
            out[attr(cbase, "image")] = c.image
            out[attr(cbase, "image_id")] = c.image_id
            _walk(attr(cbase, "env"), c.env, out, True, keys)
            if not isinstance(c.env_from, Absent):
                _walk(attr(cbase, "env_from"), c.env_from, out, True, keys)
            if not isinstance(c.image_ids, Absent) and c.image_ids:
                out[attr(cbase, "image_id")] = list(c.image_ids)
                intra[attr(cbase, "image_id")] = f"pods run {len(c.image_ids)} digests"


def _helm(releases: Mapping[str, HelmRelease], out: dict[Key, object], keys: Keys) -> None:
    # ``revision`` is not compared: every upgrade bumps it; chart and values say what changed.
    # ``computed_values`` neither: chart defaults follow chart_version, values are compared.
    attr = keys.attr
    for rel, h in releases.items():
        base = keys.child("helm", rel)
        out[attr(base, "chart")] = h.chart
        out[attr(base, "chart_version")] = h.chart_version
        out[attr(base, "app_version")] = h.app_version
        out[attr(base, "status")] = h.status
        _walk(attr(base, "values"), h.values, out, True, keys)


def _devices(devices: tuple[GpuDevice, ...] | None) -> str | None:
    """``2x NVIDIA H100 80GB HBM3, 1x … (MIG)``: what the node has, not the order it lists it."""
    if devices is None:
        return None
    names: Counter[str] = Counter(d.name + (" (MIG)" if d.mig else "") for d in devices)
    return ", ".join(f"{n}x {name}" for name, n in sorted(names.items()))


def _show(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _distribution(
    key: Key, readings: list[tuple[str, object]], unknown: int
) -> tuple[object, Hashable | None, list[tuple[str, Hashable | None, object]], str | None]:
    """``{value: node count}`` for display, the set of known values to compare, per-node forms."""
    kind = key_kind(key)
    per_node: list[tuple[str, Hashable | None, object]] = []
    shown: dict[Hashable, str] = {}
    counts: Counter[str] = Counter()
    on: dict[str, list[str]] = defaultdict(list)
    for node, value in readings:
        if key == MAX_OFFSET:
            form: Hashable | None = offset_bucket(value) if isinstance(value, int | float) else None
        else:
            form = comparable(kind, value)
        per_node.append((node, form, value))
        if form is None:
            unknown += 1
            continue
        label = shown.setdefault(form, _show(value))
        counts[label] += 1
        on[label].append(node)
    display: dict[str, int] = dict(sorted(counts.items()))
    if unknown:
        display["unknown"] = unknown
    known = frozenset(shown)
    intra = None
    if len(known) > 1:
        intra = ", ".join(f"{label} on {', '.join(sorted(on[label]))}" for label in sorted(on))
    return (display or None), (known or None), per_node, intra


def _node_facts(node: Node) -> dict[str, object]:
    """One node's comparable facts keyed below ``nodes`` (``gpu.driver_version``); roles and
    the IP are not among them."""
    flat: dict[str, object] = {}
    for name in NODE_INFO:
        value = getattr(node, name)
        if not isinstance(value, Absent):
            flat[name] = value
    if isinstance(node.gpu, Gpu):  # ``gpu: null`` is no GPU: nothing to compare
        devices = node.gpu.devices
        for name, value in node.gpu.to_dict().items():
            if name == "devices" and not isinstance(devices, Absent):
                flat["gpu.devices"] = _devices(devices)
            elif name != "error":  # a failure message is not a fact
                flat["gpu." + name] = value
    if isinstance(node.time, TimeFacts):
        for name, value in node.time.to_dict().items():
            if name not in TIME_NOISE:
                flat["time." + name] = value
    offset = flat.pop(OFFSET, None)
    if SYNCHRONIZED in flat or offset is not None:
        flat[MAX_OFFSET] = offset if isinstance(offset, int | float) else None
    return flat


# Per node fact, as ``(role selector or "", key below nodes, [(node, value)…], nodes unknown)``,
# sorted: what the node facts of a site are made from (stored so by the facts index).
NodeReadings = list[tuple[str, str, list[tuple[str, object]], int]]


def node_readings(nodes: Mapping[str, Node], failed: set[str]) -> NodeReadings:
    """Every node's comparable facts, per node fact (and per role for the clock facts)."""
    readings: dict[tuple[str, str], list[tuple[str, object]]] = defaultdict(list)
    unknown: Counter[tuple[str, str]] = Counter()
    for name in sorted(nodes):
        node = nodes[name]
        if node.time is None:
            unknown[("", SYNCHRONIZED)] += 1
        if name in failed and isinstance(node.gpu, Absent):
            unknown[("", "gpu.driver_version")] += 1
        roles = sorted({ROLE_ALIASES[r] for r in node.role_names() if r in ROLE_ALIASES})
        for k, v in _node_facts(node).items():
            readings[("", k)].append((name, v))
            if k in ROLE_KEYS:
                for role in roles:
                    readings[(str(Selector(role)), k)].append((name, v))
    return [
        (selector, part, readings.get((selector, part), []), unknown.get((selector, part), 0))
        for selector, part in sorted(set(readings) | set(unknown))
    ]


def add_nodes(readings: NodeReadings, out: dict[Key, object], facts: SiteFacts) -> None:
    """The node facts of a site from its node readings: distributions, forms, intra-site drift."""
    for selector, part, per, unknown in readings:
        key = f"nodes{selector}.{part}" if selector else f"nodes.{part}"
        display, form, per_node, intra = _distribution(part, per, unknown)
        if part == MAX_OFFSET:
            # One figure per site: the worst clock; it compares by bucket, never by noise.
            known = [abs(v) for _, v in per if isinstance(v, int | float)]
            display = round(max(known), 6) if known else None
            form = offset_bucket(max(known)) if known else None
            intra = None
        out[key] = display
        facts.forms[key] = form
        facts.node_forms[key] = per_node
        if intra is not None:
            facts.intra[key] = intra


def flatten(site: str, snapshot: Snapshot, keys: Keys | None = None) -> SiteFacts:
    """Flatten one snapshot; what a failed section would have said is marked unknown.

    ``keys``: the key table shared by the sites of one diff (a fresh one when not given).

    Not facts: ``schema``, ``site``, ``collected_at``, ``failures``, the cluster uid, component
    ``sources`` (how a fact was read, not what it is).
    """
    facts, readings = plain_facts(site, snapshot, keys)
    add_nodes(readings, facts.values, facts)
    return facts


def plain_facts(
    site: str, snapshot: Snapshot, keys: Keys | None = None
) -> tuple[SiteFacts, NodeReadings]:
    """A site's facts but its node facts (values, intra-site pods, what is unknown and why), and
    the readings its node facts are made from (``add_nodes``): the facts index stores both."""
    failures = snapshot.failures
    unknown = {
        section
        for section, collectors in SECTION_COLLECTORS.items()
        if any(f.collector in collectors for f in failures)
    }
    reasons: dict[str, str] = {}
    for f in failures:
        for section, collectors in SECTION_COLLECTORS.items():
            if f.collector in collectors:
                reasons.setdefault(section, f"{f.target}: {f.error}")
    facts = SiteFacts(site, {}, {}, frozenset(unknown), failures=reasons)
    keys = keys if keys is not None else Keys()
    out = facts.values
    kubernetes = snapshot.kubernetes.to_dict()
    kubernetes.pop("cluster_uid", None)  # every cluster has its own
    if kubernetes or isinstance(snapshot.kubernetes.cluster_uid, Absent):
        _walk("kubernetes", kubernetes, out, False, keys)
    _workloads(snapshot.workloads, out, facts.intra, keys)
    components = {}
    for name, comp in snapshot.components.items():
        components[name] = comp.to_dict()
        components[name].pop("sources", None)
    _walk("components", components, out, False, keys)
    _helm(snapshot.helm, out, keys)
    # Comparison forms of plain facts are computed by the engine, only where raw values differ.
    targets = [f.target for f in failures if f.collector in ("gpu", "nodes")]
    return facts, node_readings(snapshot.nodes, {t.removeprefix("nodes/") for t in targets})
