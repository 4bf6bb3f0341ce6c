"""``timedatectl show`` (KEY=VALUE) and plain ``timedatectl`` of every systemd layout into time facts."""

from __future__ import annotations

from driftctl.parsers.chrony import TimeParseError, TimeReading

# Plain-layout keys meaning "the kernel clock is synchronised", across systemd versions.
SYNC_KEYS = ("System clock synchronized", "NTP synchronized")
YES = {"yes", "true", "1"}
NO = {"no", "false", "0"}


def _bool(value: str, what: str) -> bool:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise TimeParseError(f"{what}: {value.strip()!r} is neither yes nor no")


def parse_show(text: str) -> TimeReading:
    """``timedatectl show``: ``NTPSynchronized=yes|no`` is the fact; the rest is context."""
    values = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith(" ")
    )
    if "NTPSynchronized" not in values:
        raise TimeParseError("timedatectl show output lacks NTPSynchronized")
    return TimeReading("timesyncd", _bool(values["NTPSynchronized"], "NTPSynchronized"))


def parse_status(text: str) -> TimeReading:
    """Plain ``timedatectl``: ``System clock synchronized:`` (systemd ≥ 239) or ``NTP synchronized:``.

    Localised weekdays in the time lines do not matter: only the synchronisation key is read.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            values.setdefault(key.strip(), value)
    for key in SYNC_KEYS:
        if key in values:
            return TimeReading("timesyncd", _bool(values[key], key))
    raise TimeParseError(
        "timedatectl output has no 'System clock synchronized' or 'NTP synchronized'"
    )


def parse(data: bytes) -> TimeReading:
    """Either form; ``show`` is recognised by its KEY=VALUE lines."""
    text = data.decode("utf-8", errors="replace")
    if "NTPSynchronized=" in text:
        return parse_show(text)
    return parse_status(text)
