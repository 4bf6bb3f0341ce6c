"""Clock-sync facts per node: chrony (CSV, then text), then timedatectl, then ntpq."""

from __future__ import annotations

from typing import Any

from driftctl.collectors.interface import CollectContext
from driftctl.dump_layout import group_commands, node_path
from driftctl.model import Facts, Failure, RawSet
from driftctl.parsers.node_outputs import parse_time
from driftctl.parsers.time_reading import TimeParseError, TimeReading

NAME = "clock"
TIME_COMMANDS = group_commands("time")


def read_node(raw: RawSet, node: str) -> tuple[TimeReading | None, list[str]]:
    """The first time report that parses, or None and why each one did not."""
    problems: list[str] = []
    for cmd in TIME_COMMANDS:
        art = raw.get(node_path(node, cmd.file))
        if art is None:
            continue
        if not art.ok or not (art.data or b"").strip():
            why = "not installed" if art.rc == 127 else art.describe_failure()
            problems.append(f"{cmd.command}: {why}")
            continue
        try:
            return parse_time(cmd.file, art.data or b""), []
        except TimeParseError as exc:
            problems.append(f"{cmd.command}: unreadable output: {exc}")
    return None, problems


class ClockCollector:
    """``nodes[n].time``: synchronised or not, signed offset (positive = local ahead), source."""

    name = NAME

    def collect(self, ctx: CollectContext) -> Facts:
        nodes: dict[str, Any] = {}
        failures: list[Failure] = []
        for node in ctx.raw.node_names():
            reading, problems = read_node(ctx.raw, node)
            if reading is not None:
                nodes[node] = {"time": reading.to_json()}
            elif problems:
                failures.append(Failure(node, NAME, "no clock facts: " + "; ".join(problems)))
        return Facts({"nodes": nodes} if nodes else {}, tuple(failures))
