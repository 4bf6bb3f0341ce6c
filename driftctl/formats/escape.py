"""The one escaping function for text shown to a person, and safe JSON for scripts.

Every byte of a bundle, dump or API reply is hostile, including what reaches an operator's
terminal: an annotation holding ``ESC ] 52 ;`` writes the clipboard, ``ESC ] 0 ;`` the window
title, CSI sequences move the cursor and repaint earlier lines, bidi overrides (U+202E …) make a
value read backwards. ``visible`` makes every such character a printable escape (``\\x1b``,
``\\u202e``) at the rendering edge: tables, Markdown, HTML text (autoescape comes on top), JUnit,
log lines and error messages. It is idempotent on safe text and cheap when nothing needs escaping.
"""

from __future__ import annotations

import json
import re

from driftctl.strictjson import finite

# C0 controls, DEL, C1 controls; Unicode format characters (Cf: soft hyphen, zero-width,
# bidi marks/embeddings/overrides/isolates, BOM, interlinear annotations, tag characters),
# line/paragraph separators, and lone surrogates (never valid in UTF-8 output).
_C0 = "\x00-\x1f"
_UNSAFE_REST = (
    "\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[{_C0}{_UNSAFE_REST}]")
# json.dumps escapes C0 inside strings itself; its own newlines and indentation stay.
_JSON_UNSAFE = re.compile(f"[{_UNSAFE_REST}]")
# XML 1.0 allows only \t \n \r, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF, escaped or
# not; this is the rest, spelled as a positive class (the negated one takes 3 ms to compile at
# every start).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object) -> str:
    """``text`` with every control, escape, bidi and surrogate character as a visible escape.

    Newlines and tabs are escaped too: one value is one line, as it is in a table cell, a log
    line or an error message. A backslash is left as it is.
    """
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def visible_lines(text: str) -> str:
    """Like ``visible`` but keeps line breaks: for a multi-line message built by driftctl."""
    return "\n".join(visible(line) for line in text.split("\n"))


def xml_text(text: object) -> str:
    """Text that XML 1.0 can hold: ``visible`` then any character XML forbids escaped too."""
    s = visible_lines(text if isinstance(text, str) else str(text))
    return _XML_INVALID.sub(_escape, s)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a JSON string spells an astral character as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def dumps_json(doc: object, *, sort_keys: bool = False) -> str:
    """Strict JSON text for scripts (and terminals): no bare ``Infinity``/``NaN``; controls,
    bidi characters and lone surrogates as ``\\uXXXX`` escapes, so the values round-trip exactly
    and the text is valid UTF-8 that cannot drive a terminal."""
    text = json.dumps(
        finite(doc), indent=2, ensure_ascii=False, allow_nan=False, sort_keys=sort_keys
    )
    # Outside strings JSON text is printable ASCII and whitespace, so every match lies inside a
    # string literal, where a \uXXXX escape stands for exactly the same character.
    return _JSON_UNSAFE.sub(_json_escape, text) + "\n"
