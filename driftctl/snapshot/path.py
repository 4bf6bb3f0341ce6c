"""Fact paths: a key is a tuple of segments, rendered so two different keys never read alike.

Grammar (docs/snapshot.md, "Fact paths")::

    path     = first { "." plain | "[" quoted "]" | "[" plain "]" }
    first    = plain | "[" quoted "]"
    quoted   = a JSON string literal, e.g. "a.b" or "ai/docai"

A segment is written plain (``helm.ai-platform/docai.values``) unless it is empty or holds
``.`` ``[`` ``]`` ``"`` ``*`` ``?``, whitespace or a control/format/surrogate character; then it is
written quoted in brackets with JSON escapes (``values["a.b"]``). ``[name]`` with no quotes is a
``Selector`` — not a key of the snapshot but a subset chosen by the diff, e.g. the nodes of a
role in ``nodes[control-plane].time.synchronized``; a real key ``[control-plane]`` would be
written ``["[control-plane]"]``. So rendering is injective and ``parse(str(p)) == p``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

_SPECIAL: Final = frozenset('.[]"*?')
_PLAIN: Final = re.compile(r'[^.\[\]"\s]+')  # what an unquoted segment may hold when parsed


@dataclass(frozen=True)
class Selector:
    """A bracketed, unquoted segment naming a subset (a node role), never equal to a key."""

    name: str

    def __post_init__(self) -> None:
        if needs_quotes(self.name):
            raise ValueError(f"selector {self.name!r} must be a plain segment")

    def __str__(self) -> str:
        return f"[{self.name}]"


Segment = str | Selector


def _invisible(char: str) -> bool:
    """Control, format, separator and lone surrogate characters: never written raw."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def needs_quotes(segment: str) -> bool:
    """Whether ``segment`` must be written quoted in brackets."""
    if not segment:
        return True
    if segment.isascii():
        return not segment.isprintable() or any(c in _SPECIAL or c == " " for c in segment)
    return any(c in _SPECIAL or c.isspace() or _invisible(c) for c in segment)


def quote(segment: str) -> str:
    """``["…"]`` with JSON escapes; control and format characters always as ``\\uXXXX``."""
    body = json.dumps(segment, ensure_ascii=False)
    if not body.isascii() or not body.isprintable():
        body = "".join(f"\\u{ord(c):04x}" if _invisible(c) else c for c in body)
    return f"[{body}]"


def render_segment(segment: Segment, first: bool) -> str:
    if isinstance(segment, Selector):
        return str(segment)
    if needs_quotes(segment):
        return quote(segment)
    return segment if first else "." + segment


class PathError(ValueError):
    """Text that is not a fact path; ``str()`` says where it breaks."""


class FactPath(tuple[Segment, ...]):
    """A fact key: the segments from the snapshot root (``("helm", "ai/docai", "values")``)."""

    __slots__ = ()

    def __new__(cls, segments: Iterable[Segment] = ()) -> FactPath:
        return super().__new__(cls, segments)

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        return f"FactPath({render(self)!r})"

    def child(self, *segments: Segment) -> FactPath:
        return FactPath((*self, *segments))

    @property
    def last(self) -> str:
        """The last key segment (``""`` for an empty path); selectors are skipped."""
        for segment in reversed(self):
            if isinstance(segment, str):
                return segment
        return ""

    @classmethod
    def parse(cls, text: str) -> FactPath:
        return parse(text)


def render(segments: Iterable[Segment]) -> str:
    """The one spelling of a path: in reports, ignore files and policies alike."""
    return "".join(render_segment(s, i == 0) for i, s in enumerate(segments))


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The JSON string literal at ``text[start]`` (a ``"``) and the index after it."""
    decoder = json.JSONDecoder()
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise PathError(f"{text!r}: bad quoted segment at {start}: {exc.msg}") from None
    if not isinstance(value, str):  # pragma: no cover - raw_decode at '"' yields a string
        raise PathError(f"{text!r}: bad quoted segment at {start}")
    return value, end


def _segments(text: str, pattern: bool) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs, kind ``plain``, ``quoted`` or ``selector``; globs only in patterns."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    if n == 0:
        raise PathError("empty path")
    while i < n:
        if text[i] == "[":
            if i + 1 < n and text[i + 1] == '"':
                value, i = _quoted(text, i + 1)
                out.append(("quoted", value))
            else:
                match = _PLAIN.match(text, i + 1)
                if match is None or needs_quotes(match.group()):
                    raise PathError(f'{text!r}: bad selector at {i} (a key is quoted: ["…"])')
                out.append(("selector", match.group()))
                i = match.end()
            if i >= n or text[i] != "]":
                raise PathError(f"{text!r}: expected ']' at {i}")
            i += 1
            continue
        if out:
            if text[i] != ".":
                raise PathError(f"{text!r}: expected '.' or '[' at {i}")
            i += 1
        match = _PLAIN.match(text, i)
        word = match.group() if match else ""
        bare = word.replace("*", "").replace("?", "") if pattern else word
        if not word or (bare and needs_quotes(bare)) or (not pattern and needs_quotes(word)):
            raise PathError(
                f'{text!r}: bad segment at {i}; write a key holding . [ ] " * ? or spaces '
                'quoted: ["a.b"]'
            )
        out.append(("plain", word))
        i += len(word)
    return out


def parse(text: str) -> FactPath:
    """Parse either spelling: ``helm["ai/docai"]`` and ``helm.ai/docai`` are the same path."""
    return FactPath(
        Selector(value) if kind == "selector" else value for kind, value in _segments(text, False)
    )


def compile_pattern(text: str) -> re.Pattern[str]:
    """A regex over rendered keys for a path pattern: ``*`` and ``?`` in unquoted segments are
    globs (``*`` may span segments, as in ``helm.*.values.hostname``); quoted segments and
    selectors are literal. A key rendered by ``render`` is a pattern matching exactly itself."""
    parts: list[str] = []
    for index, (kind, value) in enumerate(_segments(text, True)):
        first = index == 0
        if kind == "selector":
            parts.append(re.escape(str(Selector(value))))
        elif kind == "quoted" or ("*" not in value and "?" not in value):
            parts.append(re.escape(render_segment(value, first)))
        else:
            glob = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)
            # a glob may also stand for a quoted segment: ``helm.*`` matches ``helm["a.b"]``
            parts.append(glob if first else r"(?:\.|(?=\[))" + glob)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


@lru_cache(maxsize=1 << 18)
def suffix(segment: str) -> str:
    """``segment`` as it follows a parent in a rendered path (``.x`` or ``["a.b"]``); cached,
    because the diff renders every label and value key of every site."""
    return render_segment(segment, first=False)


@lru_cache(maxsize=1 << 17)
def path_of(key: str) -> FactPath:
    """The path a rendered key spells (cached ``parse``)."""
    return parse(key)
