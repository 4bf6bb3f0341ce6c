"""The clock-sync facts every time parser (chrony, timedatectl, ntpq) returns."""

from __future__ import annotations

from dataclasses import dataclass


class TimeParseError(ValueError):
    """The output is not the time-sync report it claims to be."""


@dataclass(frozen=True)
class TimeReading:
    """Clock-sync facts of one node (``nodes[n].time``, see docs/snapshot.md).

    ``offset_seconds`` is signed: positive means the local clock is AHEAD of the reference.
    ``source`` is the daemon the output itself names ("chrony" | "timesyncd" | "ntpd"), or None
    when the output does not say (plain timedatectl): never guessed.
    """

    source: str | None
    synchronized: bool
    offset_seconds: float | None = None
    stratum: int | None = None
    leap_status: str | None = None
    reference: str | None = None
    root_delay: float | None = None
    root_dispersion: float | None = None

    @property
    def error_bound_seconds(self) -> float | None:
        """Worst-case distance from true time: |offset| + root dispersion + root delay / 2."""
        if None in (self.offset_seconds, self.root_delay, self.root_dispersion):
            return None
        assert self.offset_seconds is not None and self.root_delay is not None
        assert self.root_dispersion is not None
        return abs(self.offset_seconds) + self.root_dispersion + self.root_delay / 2
