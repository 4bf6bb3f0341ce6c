"""``timedatectl show`` (KEY=VALUE) and plain ``timedatectl`` of every systemd layout into time facts."""

from __future__ import annotations

from driftctl.parsers.time_reading import TimeParseError, TimeReading

# Plain-layout keys meaning "the kernel clock is synchronised", across systemd versions.
SYNC_KEYS = ("System clock synchronized", "NTP synchronized")
# The one layout that names the daemon (systemd 236-238): "systemd-timesyncd.service active: yes".
# Every other layout says only whether *some* NTP service runs, so the source stays unknown.
TIMESYNCD_KEY = "systemd-timesyncd.service active"
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
    # NTP=yes says some NTP service is enabled, not which one (chronyd also sets it).
    return TimeReading(None, _bool(values["NTPSynchronized"], "NTPSynchronized"))


def parse_status(text: str) -> TimeReading:
    """Plain ``timedatectl``: ``System clock synchronized:`` (systemd ≥ 239) or ``NTP synchronized:``.

    Localised weekdays in the time lines do not matter: only the synchronisation key is read.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            values.setdefault(key.strip(), value)
    source = None
    if TIMESYNCD_KEY in values and values[TIMESYNCD_KEY].strip().lower() in YES:
        source = "timesyncd"
    for key in SYNC_KEYS:
        if key in values:
            return TimeReading(source, _bool(values[key], key))
    raise TimeParseError(
        "timedatectl output has no 'System clock synchronized' or 'NTP synchronized'"
    )


def parse(data: bytes) -> TimeReading:
    """Either form; ``show`` is recognised by its KEY=VALUE lines."""
    text = data.decode("utf-8", errors="replace")
    if "NTPSynchronized=" in text:
        return parse_show(text)
    return parse_status(text)
