"""Clock-sync facts per node: chrony (CSV, then text), then timedatectl, then ntpq."""

from __future__ import annotations

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import group_commands, node_path
from driftctl.model import RawSet
from driftctl.parsers.node_outputs import parse_time
from driftctl.parsers.time_reading import TimeParseError, TimeReading
from driftctl.snapshot import ABSENT, Failure, TimeFacts, TimeSource

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


def time_facts(reading: TimeReading) -> TimeFacts:
    """A node's clock facts; the error bound and its parts only when the output gave them."""
    bounded = reading.root_dispersion is not None
    return TimeFacts(
        source=None if reading.source is None else TimeSource(reading.source),
        synchronized=reading.synchronized,
        offset_seconds=reading.offset_seconds,
        stratum=reading.stratum,
        leap_status=reading.leap_status,
        reference=reading.reference,
        root_dispersion=reading.root_dispersion if bounded else ABSENT,
        root_delay=reading.root_delay if bounded else ABSENT,
        error_bound_seconds=reading.error_bound_seconds if bounded else ABSENT,
    )


class ClockCollector:
    """``nodes[n].time``: synchronised or not, signed offset (positive = local ahead), source."""

    name = NAME

    def collect(self, ctx: CollectContext) -> Facts:
        times: dict[str, TimeFacts] = {}
        failures: list[Failure] = []
        for node in ctx.raw.node_names():
            reading, problems = read_node(ctx.raw, node)
            if reading is not None:
                times[node] = time_facts(reading)
            elif problems:
                failures.append(Failure(node, NAME, "no clock facts: " + "; ".join(problems)))
        return Facts(time=times, failures=tuple(failures))
