"""``chronyc tracking`` (text and ``-c`` CSV) into time facts; also the time-facts shape itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

UNSYNCED_LEAP = {"not synchronised", "not synchronized"}
UNSET_REFID = "00000000"
SYSTEM_TIME_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s+seconds\s+(slow|fast)\b")
SECONDS_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s+seconds\b")
REFID_RE = re.compile(r"^([0-9A-Fa-f]{8})\s*(?:\((.*)\))?$")


class TimeParseError(ValueError):
    """The output is not the time-sync report it claims to be."""


@dataclass(frozen=True)
class TimeReading:
    """Clock-sync facts of one node (design §5 ``nodes[n].time``), shared by every time parser.

    ``offset_seconds`` is signed: positive means the local clock is AHEAD of the reference.
    """

    source: str  # "chrony" | "timesyncd" | "ntpd"
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "synchronized": self.synchronized,
            "offset_seconds": self.offset_seconds,
            "stratum": self.stratum,
            "leap_status": self.leap_status,
            "reference": self.reference,
        }
        if self.root_dispersion is not None:
            out["root_dispersion"] = self.root_dispersion
            out["root_delay"] = self.root_delay
            out["error_bound_seconds"] = self.error_bound_seconds
        return out


def _leap(value: str) -> str | None:
    """chrony's British spelling; old mocks and docs say "synchronized", both mean the same."""
    if value.strip().lower() in UNSYNCED_LEAP:
        return "Not synchronised"
    return value.strip() or None


def _reading(
    refid: str, name: str, stratum: int, offset: float, leap: str, **kw: Any
) -> TimeReading:
    """Synchronised unless chrony says so in any of its three ways (leap, refid 0, stratum 0)."""
    leap_status = _leap(leap)
    synced = leap_status != "Not synchronised" and refid.upper() != UNSET_REFID and stratum != 0
    reference = name or (refid.upper() if refid.upper() != UNSET_REFID else None)
    if not synced:  # chrony prints 0.0 when it has no reference: unknown, not "exactly right"
        offset_or_none: float | None = None
        return TimeReading("chrony", False, offset_or_none, stratum, leap_status, reference, **kw)
    return TimeReading("chrony", synced, offset, stratum, leap_status, reference, **kw)


def _float(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise TimeParseError(f"{what}: {value!r} is not a number") from exc


def parse_tracking_csv(data: bytes) -> TimeReading:
    """``chronyc -c tracking``: 14 fields; field 5 is positive when the local clock is SLOW."""
    lines = [ln for ln in data.decode("utf-8", errors="replace").splitlines() if "," in ln]
    if not lines:
        raise TimeParseError("no CSV line in chronyc -c tracking output")
    fields = lines[0].split(",")
    if len(fields) < 14:
        raise TimeParseError(f"chronyc -c tracking has {len(fields)} fields, expected 14")
    if not re.fullmatch(r"[0-9A-Fa-f]{8}", fields[0]):
        raise TimeParseError(f"reference id {fields[0]!r} is not 8 hex digits")
    try:
        stratum = int(fields[2])
    except ValueError as exc:
        raise TimeParseError(f"stratum {fields[2]!r} is not an integer") from exc
    slow = _float(fields[4], "system time offset")
    return _reading(
        fields[0],
        fields[1],
        stratum,
        -slow if slow else 0.0,
        fields[13],
        root_delay=_float(fields[10], "root delay"),
        root_dispersion=_float(fields[11], "root dispersion"),
    )


def parse_tracking_text(data: bytes) -> TimeReading:
    """``chronyc tracking``: "System time : X seconds slow|fast of NTP time" (slow = behind)."""
    values: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values.setdefault(key.strip(), value.strip())
    missing = [k for k in ("Reference ID", "Stratum", "System time") if k not in values]
    if missing:
        raise TimeParseError(f"chronyc tracking output lacks {', '.join(missing)}")
    ref = REFID_RE.match(values["Reference ID"])
    if not ref:
        raise TimeParseError(f"Reference ID {values['Reference ID']!r} not understood")
    system = SYSTEM_TIME_RE.match(values["System time"])
    if not system:
        raise TimeParseError(f"System time {values['System time']!r} not understood")
    magnitude = abs(_float(system.group(1), "System time"))
    offset = -magnitude if system.group(2) == "slow" else magnitude
    try:
        stratum = int(values["Stratum"])
    except ValueError as exc:
        raise TimeParseError(f"Stratum {values['Stratum']!r} is not an integer") from exc

    def seconds(key: str) -> float | None:
        match = SECONDS_RE.match(values.get(key, ""))
        return float(match.group(1)) if match else None

    return _reading(
        ref.group(1),
        (ref.group(2) or "").strip(),
        stratum,
        offset + 0.0,
        values.get("Leap status", ""),
        root_delay=seconds("Root delay"),
        root_dispersion=seconds("Root dispersion"),
    )
