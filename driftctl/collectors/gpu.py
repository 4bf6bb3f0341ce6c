"""GPU facts per node from nvidia-smi outputs (XML, then CSV, then the table); they beat GFD labels."""

from __future__ import annotations

from dataclasses import replace

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import group_commands, node_path
from driftctl.model import Artifact, RawSet
from driftctl.parsers.node_outputs import parse_gpu
from driftctl.parsers.nvidia_smi import (
    NOT_INSTALLED,
    GpuReading,
    NvidiaSmiParseError,
    classify_error,
)
from driftctl.snapshot import Absent, Failure, Gpu, GpuSource

GPU_COMMANDS = group_commands("gpu")
NAME = "gpu"


def _output(art: Artifact) -> str:
    return (
        (art.data or b"").decode("utf-8", "replace") + "\n" + art.stderr.decode("utf-8", "replace")
    )


def _product(reading: GpuReading) -> str | None:
    names = sorted({d.name for d in reading.devices})
    return " + ".join(names) if names else None


def _facts(reading: GpuReading, labels: Gpu | None) -> Gpu:
    """Every field the GFD labels set, so nvidia-smi facts replace label facts entirely."""
    # A device-plugin setting nvidia-smi cannot see: the labels' word, if any.
    mig = None if labels is None or isinstance(labels.mig_strategy, Absent) else labels.mig_strategy
    return Gpu(
        source=GpuSource.NVIDIA_SMI,
        driver_version=reading.driver_version,
        cuda_version=reading.cuda_version,
        devices=reading.devices,
        count=reading.count,
        product=_product(reading),
        mig_strategy=mig,
        error=None,
    )


def _failed(error: str) -> Gpu:
    """nvidia-smi failed and no label said anything: every fact unknown, and why."""
    return Gpu(
        source=GpuSource.NVIDIA_SMI,
        driver_version=None,
        cuda_version=None,
        devices=None,
        count=None,
        product=None,
        error=error,
    )


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
        gpus: dict[str, Gpu | None] = {}
        failures: list[Failure] = []
        for node in ctx.raw.node_names():
            known = ctx.known.nodes.get(node)
            # GFD label facts, learned by the nodes collector (which runs before this one)
            labels = known.gpu if known is not None and isinstance(known.gpu, Gpu) else None
            reading, error, problems = read_node(ctx.raw, node)
            failures.extend(Failure(node, NAME, p) for p in problems)
            if reading is not None and (reading.driver_version or error is None):
                gpus[node] = _facts(reading, labels)
            elif reading is not None:  # devices seen, driver version unknown
                gpus[node] = replace(_facts(reading, labels), error=error)
            elif error == NOT_INSTALLED:
                if labels is None:
                    gpus[node] = None
            elif error is not None:  # the labels' facts stand, with the reason nvidia-smi failed
                gpus[node] = _failed(error) if labels is None else replace(labels, error=error)
        return Facts(gpu=gpus, failures=tuple(failures))
