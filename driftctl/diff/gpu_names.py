"""GPU names cut short by the plain nvidia-smi table, matched to the full name seen elsewhere.

The table prints a long name as its first characters and ``...`` (``NVIDIA GeForce RTX 4080 ...``);
the XML and CSV forms print it whole (``NVIDIA GeForce RTX 4080 SUPER``). The snapshot keeps the
name as printed (evidence is never rewritten); before comparing, a cut name takes the one full
name among the compared snapshots that starts with its printed part. None or several such names:
it stays as printed, and shows as a difference, because it cannot be vouched for.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TRUNCATION_MARK = "..."
PRODUCT_JOIN = " + "  # how the gpu collector joins the device names of a node into ``product``


def is_truncated(name: str) -> bool:
    return name.endswith(TRUNCATION_MARK) and len(name) > len(TRUNCATION_MARK)


def resolve(name: str, full_names: Iterable[str]) -> str:
    """The one full name a cut ``name`` stands for, else ``name`` unchanged."""
    if not is_truncated(name):
        return name
    stem = name[: -len(TRUNCATION_MARK)]
    matches = {f for f in full_names if not is_truncated(f) and f.startswith(stem) and f != stem}
    return matches.pop() if len(matches) == 1 else name


def _gpus(snapshot: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    nodes = snapshot.get("nodes")
    for facts in nodes.values() if isinstance(nodes, dict) else ():
        gpu = facts.get("gpu") if isinstance(facts, dict) else None
        if isinstance(gpu, dict):
            yield gpu


def _names(gpu: Mapping[str, Any]) -> list[str]:
    devices = gpu.get("devices")
    found = [
        d["name"] for d in devices or () if isinstance(d, dict) and isinstance(d.get("name"), str)
    ]
    product = gpu.get("product")
    if isinstance(product, str):
        found += product.split(PRODUCT_JOIN)
    return found


def resolve_snapshots(
    snapshots: Sequence[tuple[str, Mapping[str, Any]]],
) -> list[tuple[str, Mapping[str, Any]]]:
    """The snapshots with every cut GPU name resolved against the full names of all of them."""
    full = {n for _, snap in snapshots for gpu in _gpus(snap) for n in _names(gpu)}
    full = {n for n in full if not is_truncated(n)}
    out: list[tuple[str, Mapping[str, Any]]] = []
    for site, snap in snapshots:
        if not any(is_truncated(n) for gpu in _gpus(snap) for n in _names(gpu)):
            out.append((site, snap))
            continue
        snap = copy.deepcopy(dict(snap))
        for gpu in _gpus(snap):
            for device in gpu.get("devices") or ():
                if isinstance(device, dict) and isinstance(device.get("name"), str):
                    device["name"] = resolve(device["name"], full)
            if isinstance(gpu.get("product"), str):
                names = {resolve(n, full) for n in gpu["product"].split(PRODUCT_JOIN)}
                gpu["product"] = PRODUCT_JOIN.join(sorted(names))
        out.append((site, snap))
    return out
