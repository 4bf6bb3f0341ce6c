"""Shared by the report tests: hostile text that must never reach a terminal raw."""

from __future__ import annotations

import re

# What a hostile bundle, dump or API reply can carry to an operator's terminal.
OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # write the clipboard
OSC0 = "\x1b]0;pwned\x07"  # set the window title
CSI = "\x1b[2J\x1b[1;31m"  # clear the screen, red
C1 = "\x9b31m"  # CSI as one C1 character
BIDI = "\u202eevil\u202c"  # right-to-left override
HOSTILE = f"a{OSC52}{OSC0}{CSI}{C1}{BIDI}z"
# Any of these in output is a raw control sequence (or a character no UTF-8 output may hold).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def raw_controls(text: str) -> list[str]:
    """The raw control characters in ``text`` (tabs and newlines are layout, not hostile)."""
    return RAW.findall(text)
