"""``chronyc tracking`` (text and ``-c`` CSV) into time facts."""

from __future__ import annotations

import re

from driftctl.parsers.time_reading import TimeParseError, TimeReading

UNSYNCED_LEAP = {"not synchronised", "not synchronized"}
UNSET_REFID = "00000000"
SYSTEM_TIME_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s+seconds\s+(slow|fast)\b")
SECONDS_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s+seconds\b")
# chrony >= 3.0 prints the reference id as 8 hex digits; up to 2.4 as a dotted quad (the same
# 32 bits: client.c's "%R" was quad-dotted until 3.0).
REFID_RE = re.compile(r"^([0-9A-Fa-f]{8}|\d{1,3}(?:\.\d{1,3}){3})\s*(?:\((.*)\))?$")


def _refid_hex(refid: str) -> str:
    """The reference id as chrony >= 3.0 prints it: 8 upper-case hex digits."""
    if "." not in refid:
        return refid.upper()
    octets = [int(o) for o in refid.split(".")]
    if any(o > 255 for o in octets):
        raise TimeParseError(f"reference id {refid!r} is not an IPv4 address")
    return "".join(f"{o:02X}" for o in octets)


def _leap(value: str) -> str | None:
    """chrony's British spelling; old mocks and docs say "synchronized", both mean the same."""
    if value.strip().lower() in UNSYNCED_LEAP:
        return "Not synchronised"
    return value.strip() or None


def _reading(
    refid: str, name: str, stratum: int, offset: float, leap: str, **kw: float | None
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

    refid = _refid_hex(ref.group(1))
    name = (ref.group(2) or "").strip()
    if not name and "." in ref.group(1) and refid != UNSET_REFID:
        name = ref.group(1)  # old chrony without a name: the address as it was printed
    return _reading(
        refid,
        name,
        stratum,
        offset + 0.0,
        values.get("Leap status", ""),
        root_delay=seconds("Root delay"),
        root_dispersion=seconds("Root dispersion"),
    )
