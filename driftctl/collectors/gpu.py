"""GPU facts per node from nvidia-smi outputs (XML, then CSV, then the table); they beat GFD labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftctl.collectors.interface import CollectContext
from driftctl.dump_layout import group_commands, node_path
from driftctl.model import Artifact, Facts, Failure, RawSet
from driftctl.parsers.node_outputs import parse_gpu
from driftctl.parsers.nvidia_smi import (
    NOT_INSTALLED,
    GpuReading,
    NvidiaSmiParseError,
    classify_error,
)

GPU_COMMANDS = group_commands("gpu")
NAME = "gpu"


def _output(art: Artifact) -> str:
    return (
        (art.data or b"").decode("utf-8", "replace") + "\n" + art.stderr.decode("utf-8", "replace")
    )


def _product(reading: GpuReading) -> str | None:
    names = sorted({d.name for d in reading.devices})
    return " + ".join(names) if names else None


def _facts(reading: GpuReading, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Every key the GFD labels set, so nvidia-smi facts replace label facts entirely."""
    return {
        "source": "nvidia-smi",
        "driver_version": reading.driver_version,
        "cuda_version": reading.cuda_version,
        "devices": [d.to_json() for d in reading.devices],
        "count": reading.count,
        "product": _product(reading),
        "mig_strategy": labels.get("mig_strategy"),  # a device-plugin setting nvidia-smi cannot see
        "error": None,
    }


def read_node(raw: RawSet, node: str) -> tuple[GpuReading | None, str | None, list[str]]:
    """(best reading, error class, problems) from the node's nvidia-smi artifacts, first good wins."""
    partial: GpuReading | None = None
    error: str | None = None
    problems: list[str] = []
    for cmd in GPU_COMMANDS:
        art = raw.get(node_path(node, cmd.file))
        if art is None:
            continue
        failed = None
        if not art.ok:
            failed = classify_error(_output(art), art.rc) or ("no-output", art.describe_failure())
        elif not (art.data or b"").strip():
            failed = ("empty-output", "no output")
        reading = None
        if failed is None:
            try:
                reading = parse_gpu(cmd.file, art.data or b"")
            except NvidiaSmiParseError as exc:
                # A dump without its .rc companion: the error text is all there is.
                failed = classify_error(_output(art), 0) or (
                    "unreadable-output",
                    f"unreadable output: {exc}",
                )
        if reading is None:
            assert failed is not None
            error = error or failed[0]
            problems.append(f"{cmd.command}: {failed[1]}")
            if failed[0] == NOT_INSTALLED:
                break
            continue
        if reading.driver_version:
            if reading.cuda_version is None and cmd.file.endswith(".csv"):
                return reading, None, [f"{cmd.command}: CUDA version not reported by this form"]
            return reading, None, []
        partial = partial or reading
        problems.extend(f"{cmd.command}: {p}" for p in reading.problems)
    return partial, error, problems


class GpuCollector:
    """``nodes[n].gpu`` from nvidia-smi; label facts stay where nvidia-smi says nothing."""

    name = NAME

    def collect(self, ctx: CollectContext) -> Facts:
        nodes: dict[str, Any] = {}
        failures: list[Failure] = []
        known = ctx.facts.get("nodes", {})
        for node in ctx.raw.node_names():
            existing = known.get(node, {}).get("gpu") if isinstance(known.get(node), dict) else None
            labels: Mapping[str, Any] = existing if isinstance(existing, dict) else {}
            reading, error, problems = read_node(ctx.raw, node)
            failures.extend(Failure(node, NAME, p) for p in problems)
            if reading is not None and (reading.driver_version or error is None):
                nodes[node] = {"gpu": _facts(reading, labels)}
            elif reading is not None:  # devices seen, driver version unknown
                nodes[node] = {"gpu": {**_facts(reading, labels), "error": error}}
            elif error == NOT_INSTALLED:
                if not labels:
                    nodes[node] = {"gpu": None}
            elif error is not None:
                blank = {k: None for k in ("driver_version", "cuda_version", "devices", "count")}
                base = {} if labels else {"source": "nvidia-smi", **blank, "product": None}
                nodes[node] = {"gpu": {**base, "error": error}}
        return Facts({"nodes": nodes} if nodes else {}, tuple(failures))
