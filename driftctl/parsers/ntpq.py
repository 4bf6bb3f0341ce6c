"""``ntpq -pn`` peer billboard into time facts (ntpd): the ``*`` peer is the sync source."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from driftctl.parsers.time_reading import TimeParseError, TimeReading

HEADER_RE = re.compile(
    r"^\s*remote\s+refid\s+st\s+t\s+when\s+poll\s+reach\s+delay\s+offset\s+jitter"
)
SELECTED = ("*", "o")  # system peer, or system peer via PPS


def _ms(value: str, what: str) -> Decimal:
    """Milliseconds as printed, exactly (a column that overflowed ends in a bare ``.``)."""
    digits = value.rstrip(".")
    try:
        ms = Decimal(digits) if digits else Decimal(0)
    except InvalidOperation as exc:
        raise TimeParseError(f"ntpq {what} {value!r} is not a number") from exc
    if not ms.is_finite():
        raise TimeParseError(f"ntpq {what} {value!r} is not a number")
    return ms


def parse(data: bytes) -> TimeReading:
    """Selected peer → synchronised, its offset (ms, server minus local) → seconds local-ahead.

    ntpq's offset is the server's offset relative to this host, so a positive value means the
    local clock is behind: it is negated into driftctl's convention (positive = local ahead).
    """
    lines = data.decode("utf-8", errors="replace").splitlines()
    start = next((i for i, ln in enumerate(lines) if HEADER_RE.match(ln)), None)
    if start is None:
        raise TimeParseError("no ntpq peer table header (remote refid st t when poll …)")
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith("="):
            continue
        tally, cols = line[0], line[1:].split()
        if len(cols) < 10 or tally not in SELECTED:
            continue
        try:
            peer_stratum = int(cols[2])
        except ValueError as exc:
            raise TimeParseError(f"ntpq stratum {cols[2]!r} is not an integer") from exc
        # Decimal, so -0.473 ms is -0.000473 s exactly as printed, not -0.00047299999999999995.
        offset = float(-_ms(cols[8], "offset") / 1000)
        return TimeReading(
            "ntpd",
            True,
            offset_seconds=offset + 0.0,
            stratum=peer_stratum + 1,
            reference=cols[0],
            root_delay=None,
        )
    return TimeReading("ntpd", False)
