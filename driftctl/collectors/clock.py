"""Clock-sync facts per node: chrony (CSV, then text), then timedatectl, then ntpq."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from driftctl.collectors.interface import CollectContext
from driftctl.model import Facts, Failure, RawSet
from driftctl.parsers import chrony, ntpq, timedatectl
from driftctl.parsers.chrony import TimeParseError, TimeReading
from driftctl.sources.node_commands import NODE_COMMANDS

NAME = "clock"
PARSERS: dict[str, Callable[[bytes], TimeReading]] = {
    "chronyc-tracking.csv": chrony.parse_tracking_csv,
    "chronyc-tracking.txt": chrony.parse_tracking_text,
    "timedatectl.txt": timedatectl.parse,
    "ntpq.txt": ntpq.parse,
}
TIME_COMMANDS = tuple(c for c in NODE_COMMANDS if c.group == "time")


def read_node(raw: RawSet, node: str) -> tuple[TimeReading | None, list[str]]:
    """The first time report that parses, or None and why each one did not."""
    problems: list[str] = []
    for cmd in TIME_COMMANDS:
        art = raw.get(f"nodes/{node}/{cmd.file}")
        if art is None:
            continue
        if not art.ok or not (art.data or b"").strip():
            why = "not installed" if art.rc == 127 else art.describe_failure()
            problems.append(f"{cmd.command}: {why}")
            continue
        try:
            return PARSERS[cmd.file](art.data or b""), []
        except TimeParseError as exc:
            problems.append(f"{cmd.command}: unreadable output: {exc}")
    return None, problems


class Collector:
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
