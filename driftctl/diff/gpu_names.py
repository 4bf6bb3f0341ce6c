"""GPU names cut short by the plain nvidia-smi table, matched to the full name seen elsewhere.

The table prints a long name as its first characters and ``...`` (``NVIDIA GeForce RTX 4080 ...``);
the XML and CSV forms print it whole (``NVIDIA GeForce RTX 4080 SUPER``). The snapshot keeps the
name as printed (evidence is never rewritten); before comparing, a cut name takes the one full
name among the compared snapshots that starts with its printed part. None or several such names:
it stays as printed, and shows as a difference, because it cannot be vouched for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from driftctl.snapshot import Absent, Gpu, Snapshot

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


def _gpus(snapshot: Snapshot) -> Iterable[Gpu]:
    for node in snapshot.nodes.values():
        if isinstance(node.gpu, Gpu):
            yield node.gpu


def _names(gpu: Gpu) -> list[str]:
    devices = () if isinstance(gpu.devices, Absent) else gpu.devices or ()
    found = [d.name for d in devices]
    if isinstance(gpu.product, str):
        found += gpu.product.split(PRODUCT_JOIN)
    return found


def _resolved(gpu: Gpu, full: set[str]) -> Gpu:
    devices = gpu.devices
    if isinstance(devices, tuple):
        devices = tuple(replace(d, name=resolve(d.name, full)) for d in devices)
    product = gpu.product
    if isinstance(product, str):
        product = PRODUCT_JOIN.join(sorted({resolve(n, full) for n in product.split(PRODUCT_JOIN)}))
    return replace(gpu, devices=devices, product=product)


def names_of(snapshot: Snapshot) -> tuple[set[str], bool]:
    """The full GPU names a snapshot shows, and whether it shows any cut name."""
    names = {n for gpu in _gpus(snapshot) for n in _names(gpu)}
    full = {n for n in names if not is_truncated(n)}
    return full, len(full) != len(names)


def resolve_one(snapshot: Snapshot, full: set[str]) -> Snapshot:
    """The snapshot with every cut GPU name resolved against ``full`` (all compared snapshots')."""
    nodes = {
        name: replace(node, gpu=_resolved(node.gpu, full)) if isinstance(node.gpu, Gpu) else node
        for name, node in snapshot.nodes.items()
    }
    return replace(snapshot, nodes=nodes)


def resolve_snapshots(snapshots: Sequence[tuple[str, Snapshot]]) -> list[tuple[str, Snapshot]]:
    """The snapshots with every cut GPU name resolved against the full names of all of them."""
    seen = [(site, snap, *names_of(snap)) for site, snap in snapshots]
    full = {n for _, _, names, _ in seen for n in names}
    return [(site, resolve_one(snap, full) if cut else snap) for site, snap, _, cut in seen]
