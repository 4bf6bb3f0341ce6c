"""Secrets recognised by the name they are given inside a text: ``key=value``, ``key: value``,
``"key": "value"``, ``<key>value</key>``, an indented YAML block under a secret key, and
command lines (``--db-pass X``, ``-password X``, ``mysql -pX``, ``redis-cli -a X``).

Names are judged by :func:`driftctl.redact.names.is_secret_name`; every loop resumes after what
it consumed, so the cost stays linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from driftctl.redact.names import is_secret_name
from driftctl.redact.shapes import Span

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-/]{0,127}+"
_ASSIGN = re.compile(
    rf"(?<![A-Za-z0-9_.\-/$])-{{0,2}}+(?P<q>[\"']?+)(?P<name>{_NAME})(?P=q)[ \t]*+"
    r"(?P<sep>:=|=>|=(?!=)|:(?!//))[ \t]*+"
)
_QUOTED = {
    '"': re.compile(r'"((?:[^"\\\n]|\\.)*+)"'),
    "'": re.compile(r"'((?:[^'\\\n]|\\.)*+)'"),
}
_UNQUOTED_EQ = re.compile(r"[^\s;&\"'<>]++")
_UNQUOTED_FLOW = re.compile(r"[^\s,}\]]++")
_REST_OF_LINE = re.compile(r"[^\n]++")
_OPENER = re.compile(
    rf"(?m)^(?P<indent>[ \t]*+)(?:-[ \t]++)?+(?P<q>[\"']?+)(?P<name>{_NAME})(?P=q)[ \t]*+:"
    r"[ \t]*+(?:[|>][-+0-9]{0,3}+)?+[ \t]*+(?:#[^\n]*+)?+(?=\n|\Z)"  # the end of its line
)
_XML = re.compile(
    r"<(?P<tag>[A-Za-z_][A-Za-z0-9_.:-]{0,63}+)(?:[ \t][^<>]{0,512}+)?+>(?P<val>[^<]++)"
    r"</(?P=tag)>"
)
# A value that only refers to a secret (a template or a variable), never holds one.
_REFERENCE = re.compile(
    r"\{\{[^\n]{0,4096}\}\}|\$\{[A-Za-z_][A-Za-z0-9_.:-]{0,255}\}|\$\([A-Za-z_][A-Za-z0-9_]{0,255}\)"
    r"|\*{3,64}"
)
_TEMPLATE = re.compile(r"\{\{[^\n{}]{0,4096}+\}\}")
_BLOCK_INDICATOR = re.compile(r"[|>][-+0-9]{0,3}(?:[ \t]*#.*)?")
_FLAG = re.compile(
    r"(?<![^\s\"'\[,(])(?P<dash>--?+)(?P<name>[A-Za-z][A-Za-z0-9_.-]{0,63}+)(?![=\w])"
)
_WORD = re.compile(r"\"(?:[^\"\\\n]|\\.)*+\"|'[^'\n]*+'|[^\s\"']++")
_BLANKS = re.compile(r"[ \t]*+")
_IS_FLAG = re.compile(r"--?[A-Za-z][A-Za-z0-9_.-]*+(?:=.*)?")
# Programs whose short option carries a password: mysql -pX (attached), redis-cli -a X,
# sshpass -p X; and user:password after curl/wget-style user flags.
_PROGRAM = re.compile(r"(?i)(?<![A-Za-z0-9_-])(mysql\w*|mariadb\w*|redis-cli|sshpass)(?![\w-])")
_MYSQL_P = re.compile(r"(?<![^\s\"'\[,(])-p(?P<v>[^\s\"']++)")
_USER_FLAGS = frozenset({"-u", "--user", "-U", "--proxy-user", "--http-user"})


def is_reference(value: str) -> bool:
    """True for values that only name a secret: ``{{ .Values.x }}``, ``${VAR}``, ``$(VAR)``."""
    return _REFERENCE.fullmatch(value.strip()) is not None


@lru_cache(maxsize=8192)
def _secret(name: str) -> bool:
    return is_secret_name(name)


def _value_span(text: str, pos: int, sep: str, quoted_name: bool) -> tuple[int, int] | None:
    if pos >= len(text):
        return None
    quote = text[pos]
    if quote in _QUOTED:
        m = _QUOTED[quote].match(text, pos)
        if m is not None:
            return m.start(1), m.end(1)
        m = _REST_OF_LINE.match(text, pos + 1)
        return (m.start(), m.end()) if m else None
    if sep == ":" and not quoted_name:
        m = _REST_OF_LINE.match(text, pos)
        if m is None:
            return None
        return m.start(), m.start() + len(m.group().rstrip())
    m = (_UNQUOTED_FLOW if sep == ":" else _UNQUOTED_EQ).match(text, pos)
    return (m.start(), m.end()) if m else None


def assignments(text: str, first: bool = False) -> list[Span]:
    """Values assigned to a secret name: ``password=x``, ``Password=x;``, ``password: x``,
    JAAS ``password="x"``, JSON ``"token": "x"``, ``--password=x``, ``PGPASSWORD=x psql``."""
    if "=" not in text and ":" not in text:
        return []
    spans: list[Span] = []
    pos = 0
    while (m := _ASSIGN.search(text, pos)) is not None:
        pos = m.end()
        if not _secret(m.group("name")):
            continue
        found = _value_span(text, m.end(), m.group("sep"), bool(m.group("q")))
        if found is None:
            continue
        start, end = found
        value = text[start:end]
        if end > start and not is_reference(value) and _BLOCK_INDICATOR.fullmatch(value) is None:
            spans.append((start, end, "key-value"))
            if first:
                break
        pos = max(pos, end)
    return spans


def yaml_blocks(text: str, first: bool = False) -> list[Span]:
    """The indented block under a secret key in a multi-line text (``password: |``, or
    ``credentials:`` with its children): everything deeper than the key."""
    if "\n" not in text:
        return []
    spans: list[Span] = []
    pos = 0
    while (m := _OPENER.search(text, pos)) is not None:
        pos = m.end()
        if not _secret(m.group("name")):
            continue
        width = len(m.group("indent").expandtabs())
        block = _block_pattern(width).match(text, m.end() + 1)
        if block is not None and _TEMPLATE.sub("", block.group()).strip():
            end = block.end()
            spans.append((block.start(), end - 1 if text[end - 1] == "\n" else end, "key-value"))
            if first:
                break
            pos = max(pos, end)
    return spans


@lru_cache(maxsize=64)
def _block_pattern(width: int) -> re.Pattern[str]:
    return re.compile(rf"(?:[ \t]*+\n|[ \t]{{{width + 1},}}+[^\n]*+(?:\n|\Z))*+")


def xml_elements(text: str) -> list[Span]:
    """The text of an XML element named like a secret: ``<password>x</password>``."""
    if "</" not in text:
        return []
    return [
        (m.start("val"), m.end("val"), "key-value")
        for m in _XML.finditer(text)
        if _secret(m.group("tag")) and not is_reference(m.group("val"))
    ]


def _program(text: str) -> str | None:
    m = _PROGRAM.search(text)
    if m is None:
        return None
    name = m.group(1).lower()
    return "mysql" if name.startswith(("mysql", "mariadb")) else name


def _flag_value(flag: str, program: str | None) -> bool:
    """True when the word after this flag is a password (``--db-pass``, Go's ``-password``)."""
    dash, name = ("--", flag[2:]) if flag.startswith("--") else ("-", flag[1:])
    if dash == "-" and len(name) == 1:
        return (program, name) in (("redis-cli", "a"), ("sshpass", "p"))
    if dash == "-" and program == "mysql":
        return False  # -uroot, -pX: short options with their value attached
    return _secret(name)


def command_line(text: str, first: bool = False) -> list[Span]:
    """Passwords on a command line in free text (``sh -c "mysql -uroot -pX db"``)."""
    if "-" not in text:
        return []
    program = _program(text)
    spans: list[Span] = []
    pos = 0
    while (m := _FLAG.search(text, pos)) is not None:
        pos = m.end()
        flag = m.group()
        is_user = flag in _USER_FLAGS
        if not is_user and not _flag_value(flag, program):
            continue
        blanks = _BLANKS.match(text, pos)
        at = blanks.end() if blanks else pos
        word = _WORD.match(text, at) if at > pos else None
        if word is None or _IS_FLAG.fullmatch(word.group()):
            continue
        start, end = word.span()
        if word.group()[0] in "\"'":
            start, end = start + 1, end - 1
        if is_user:
            colon = text.find(":", start, end)
            if colon < 0 or text[colon + 1 : end].isdigit():
                continue
            start = colon + 1
        if end > start and not is_reference(text[start:end]):
            spans.append((start, end, "command-line"))
            if first:
                return spans
        pos = max(pos, end)
    if program == "mysql":
        spans.extend(
            (m.start("v"), m.end("v"), "command-line")
            for m in _MYSQL_P.finditer(text)
            if not is_reference(m.group("v"))
        )
    return spans


def argv(items: Sequence[str]) -> list[tuple[int, int, int, str]]:
    """Secrets in an argument vector (a container's ``command`` + ``args``): ``(index, start,
    end, rule)``: the element after a secret flag, ``-pX`` for mysql, ``-u user:pass``."""
    program = next((p for p in map(_program, items[:64]) if p is not None), None)
    out: list[tuple[int, int, int, str]] = []
    for i, item in enumerate(items):
        if program == "mysql" and item.startswith("-p") and len(item) > 2:
            out.append((i, 2, len(item), "command-line"))
            continue
        if i == 0 or _IS_FLAG.fullmatch(item) or is_reference(item):
            continue
        prev = items[i - 1]
        if "=" in prev or not _IS_FLAG.fullmatch(prev):
            continue
        if prev in _USER_FLAGS:
            colon = item.find(":")
            if colon >= 0 and not item[colon + 1 :].isdigit():
                out.append((i, colon + 1, len(item), "command-line"))
        elif _flag_value(prev, program):
            out.append((i, 0, len(item), "command-line"))
    return out


def named_values(text: str, first: bool = False) -> list[Span]:
    """All name-driven detectors over one text; ``first``: stop at the first finding."""
    return (
        assignments(text, first)
        or yaml_blocks(text, first)
        or xml_elements(text)
        or command_line(text, first)
        if first
        else [*assignments(text), *yaml_blocks(text), *xml_elements(text), *command_line(text)]
    )
