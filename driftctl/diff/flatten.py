"""A snapshot (design §5) as flat facts ``key → value``; node facts become per-site distributions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftctl.diff.normalize import (
    SERVER_FIELDS,
    VOLATILE_LABELS,
    comparable,
    key_kind,
    offset_bucket,
)

# Top-level snapshot keys that are not facts to compare: identity, time of collection, failures.
NOT_FACTS = frozenset({"schema", "site", "seq", "collected_at", "failures"})
# Volatile per-site facts: every cluster has its own uid, every node its own address.
VOLATILE_KEYS = frozenset({"kubernetes.cluster_uid"})
NODE_VOLATILE = frozenset({"internal_ip", "name", "hostname"})
OFFSET = "time.offset_seconds"
MAX_OFFSET = "time.max_abs_offset_seconds"
ROLE_KEYS = frozenset({"time.synchronized", MAX_OFFSET})
# Time facts are split out for the role whose clocks a quorum depends on (dqlite, etcd);
# k3s and older kubeadm call it "master".
ROLE_ALIASES = {"control-plane": "control-plane", "master": "control-plane"}
# Per-measurement noise of the clock daemon: differs on every poll, never configuration.
TIME_MEASUREMENTS = ("time.root_dispersion", "time.root_delay", "time.error_bound_seconds")
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


def section_of(key: str) -> str:
    """The collection section a flattened key belongs to (``gpu``, ``clock``, ``helm``, …)."""
    top, _, rest = key.partition(".")
    if top.startswith("nodes"):
        if rest.startswith("gpu."):
            return "gpu"
        if rest.startswith("time."):
            return "clock"
        return "nodes"
    return top


@dataclass(frozen=True)
class SiteFacts:
    """One site's flat facts: display values, comparison forms and what is known to be unknown."""

    site: str
    values: dict[str, Any]
    forms: dict[str, Hashable | None]  # precomputed only for node distributions
    unknown_sections: frozenset[str] = frozenset()
    node_forms: dict[str, list[tuple[str, Hashable | None, Any]]] = field(default_factory=dict)
    intra: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def form(self, key: str, missing: Any) -> Hashable | None:
        """The comparison form of ``key`` here (``missing`` when the site has no such fact)."""
        if key in self.forms:
            return self.forms[key]
        if key in self.values:
            return comparable(key_kind(key), self.values[key])
        return missing  # type: ignore[no-any-return]

    def absent_is_unknown(self, key: str) -> bool:
        """An absent fact is unknown (not changed) when its section failed or was not collected.

        A per-role node fact is unknown where no node carries the role's label.
        """
        return key.startswith("nodes[") or section_of(key) in self.unknown_sections


DROPPED = SERVER_FIELDS | VOLATILE_LABELS


def _walk(prefix: str, value: Any, out: dict[str, Any], drop: bool) -> None:
    if type(value) is not dict or not value:
        out[prefix] = value
        return
    for k, v in value.items():
        if drop and k in DROPPED:
            continue
        if type(v) is dict and v:
            _walk(f"{prefix}.{k}", v, out, drop)
        else:
            out[f"{prefix}.{k}"] = v


def _workloads(workloads: Mapping[str, Any], out: dict[str, Any], intra: dict[str, str]) -> None:
    for wkey, facts in workloads.items():
        if not isinstance(facts, dict):
            out[f"workloads.{wkey}"] = facts
            continue
        for k, v in facts.items():
            if k == "nodes":
                continue  # where pods run is scheduling, not configuration
            if k != "containers" or not isinstance(v, dict):
                _walk(f"workloads.{wkey}.{k}", v, out, True)
                continue
            for cname, cfacts in v.items():
                base = f"workloads.{wkey}.containers.{cname}"
                if not isinstance(cfacts, dict):
                    out[base] = cfacts
                    continue
                ids = cfacts.get("image_ids")
                for ck, cv in cfacts.items():
                    if ck != "image_ids":
                        _walk(f"{base}.{ck}", cv, out, True)
                if isinstance(ids, list) and ids:
                    out[f"{base}.image_id"] = list(ids)
                    intra[f"{base}.image_id"] = f"pods run {len(ids)} digests"


def _helm(releases: Mapping[str, Any], out: dict[str, Any]) -> None:
    for rel, facts in releases.items():
        if not isinstance(facts, dict):
            out[f"helm.{rel}"] = facts
            continue
        for k, v in facts.items():
            if k != "revision":  # every upgrade bumps it; chart and values say what changed
                _walk(f"helm.{rel}.{k}", v, out, k == "values")


def _devices(devices: Any) -> Any:
    if not isinstance(devices, list):
        return devices
    names: Counter[str] = Counter()
    for d in devices:
        if isinstance(d, dict):
            names[str(d.get("name")) + (" (MIG)" if d.get("mig") else "")] += 1
        else:
            names[str(d)] += 1
    return ", ".join(f"{n}x {name}" for name, n in sorted(names.items()))


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _distribution(
    key: str, readings: list[tuple[str, Any]], unknown: int
) -> tuple[Any, Hashable | None, list[tuple[str, Hashable | None, Any]], str | None]:
    """``{value: node count}`` for display, the set of known values to compare, per-node forms."""
    kind = key_kind(key)
    per_node: list[tuple[str, Hashable | None, Any]] = []
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


def _nodes(
    nodes: Mapping[str, Any], failed: set[str], out: dict[str, Any], facts: SiteFacts
) -> None:
    readings: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    unknown: Counter[str] = Counter()
    for node in sorted(nodes):
        flat: dict[str, Any] = {}
        raw = nodes[node]
        if not isinstance(raw, dict):
            continue
        for k, v in raw.items():
            if k in NODE_VOLATILE:
                continue
            if k == "gpu" and isinstance(v, dict) and "devices" in v:
                v = {**v, "devices": _devices(v["devices"])}
            if k == "time" and v is None:
                unknown["time.synchronized"] += 1
                continue
            _walk(k, v, flat, True)
        for noise in ("gpu.error", "time.error", "gpu", *TIME_MEASUREMENTS):
            flat.pop(noise, None)  # a failure message is not a fact; ``gpu: null`` is no GPU
        offset = flat.pop(OFFSET, None)
        if "time.synchronized" in flat or offset is not None:
            flat[MAX_OFFSET] = offset if isinstance(offset, int | float) else None
        if node in failed and "gpu" not in raw:
            unknown["gpu.driver_version"] += 1
        roles = raw.get("roles")
        roles = sorted({ROLE_ALIASES[r] for r in roles if r in ROLE_ALIASES}) if roles else []
        flat.pop("roles", None)  # roles differ by design; they split the time facts instead
        for k, v in flat.items():
            readings[k].append((node, v))
            if k in ROLE_KEYS:
                for role in roles:
                    readings[f"[{role}].{k}"].append((node, v))
    for k in sorted(set(readings) | set(unknown)):
        key = f"nodes{k}" if k.startswith("[") else f"nodes.{k}"
        display, form, per_node, intra = _distribution(
            k.split("].", 1)[-1], readings.get(k, []), unknown.get(k, 0)
        )
        if key.endswith(MAX_OFFSET):
            # One figure per site: the worst clock; it compares by bucket, never by noise.
            known = [abs(v) for _, v in readings.get(k, []) if isinstance(v, int | float)]
            display = round(max(known), 6) if known else None
            form = offset_bucket(max(known)) if known else None
            intra = None
        out[key] = display
        facts.forms[key] = form
        facts.node_forms[key] = per_node
        if intra is not None:
            facts.intra[key] = intra


def flatten(site: str, snapshot: Mapping[str, Any]) -> SiteFacts:
    """Flatten one snapshot; what a failed or absent section would have said is marked unknown."""
    failures = [f for f in snapshot.get("failures") or () if isinstance(f, dict)]
    unknown = {
        section
        for section, collectors in SECTION_COLLECTORS.items()
        if any(f.get("collector") in collectors for f in failures)
    }
    for section in ("kubernetes", "workloads", "components", "helm", "nodes"):
        if not isinstance(snapshot.get(section), dict):
            unknown |= {"gpu", "clock", "nodes"} if section == "nodes" else {section}
    reasons: dict[str, str] = {}
    for f in failures:
        for section, collectors in SECTION_COLLECTORS.items():
            if f.get("collector") in collectors:
                reasons.setdefault(section, f"{f.get('target')}: {f.get('error')}")
    facts = SiteFacts(site, {}, {}, frozenset(unknown), failures=reasons)
    out: dict[str, Any] = {}
    for top, value in snapshot.items():
        if top in NOT_FACTS:
            continue
        if top == "workloads" and isinstance(value, dict):
            _workloads(value, out, facts.intra)
        elif top == "helm" and isinstance(value, dict):
            _helm(value, out)
        elif top != "nodes":
            _walk(top, value, out, False)
    for key in VOLATILE_KEYS:
        out.pop(key, None)
    # Comparison forms of plain facts are computed by the engine, only where raw values differ.
    nodes = snapshot.get("nodes")
    if isinstance(nodes, dict):
        targets = [str(f.get("target")) for f in failures if f.get("collector") in ("gpu", "nodes")]
        failed = {t.removeprefix("nodes/") for t in targets}
        _nodes(nodes, failed, out, facts)
    facts.values.update(out)
    return facts


def flatten_all(snapshots: Iterable[tuple[str, Mapping[str, Any]]]) -> list[SiteFacts]:
    """Flatten each ``(site, snapshot)`` pair, keeping their order."""
    return [flatten(site, snap) for site, snap in snapshots]
