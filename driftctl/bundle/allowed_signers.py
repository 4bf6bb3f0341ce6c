"""One line of an OpenSSH ``allowed_signers`` file, parsed as sshsig.c parses it.

``principals [options] keytype base64 [comment]``; errors name the option they are about.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from driftctl.bundle.certs import PublicKey, parse_public_key
from driftctl.bundle.wire import WireError

KEY_TYPES = {
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
}
_TIME = re.compile(r"^(\d{8}|\d{12}|\d{14})(Z?)$")
# name, then ="quoted value" (group 2) or anything else up to a comma (group 3, an error)
_OPTION = re.compile(r'([A-Za-z-]+)(?:=(?:"((?:[^"\\]|\\.)*)"|([^,]*)))?')
OPTIONS = ("cert-authority", "namespaces", "valid-after", "valid-before")


def parse_time(value: str) -> int:
    """``YYYYMMDD[HHMM[SS]][Z]`` to epoch seconds: UTC with ``Z``, local time otherwise."""
    m = _TIME.fullmatch(value)
    if not m:
        raise ValueError(f"invalid time {value!r} (expected YYYYMMDD[HHMM[SS]][Z])")
    digits = m.group(1).ljust(14, "0")
    when = datetime.strptime(digits, "%Y%m%d%H%M%S")  # naive = local time, as OpenSSH without Z
    if m.group(2):
        return int(when.replace(tzinfo=UTC).timestamp())
    return int(when.timestamp())


@dataclass(frozen=True)
class AllowedSigner:
    """One ``allowed_signers`` line."""

    where: str
    principals: str
    key: PublicKey
    cert_authority: bool = False
    namespaces: str | None = None
    valid_after: int | None = None
    valid_before: int | None = None


def _token(line: str) -> tuple[str, str]:
    """Next whitespace-delimited token (a leading ``"`` quotes it); returns (token, rest)."""
    line = line.lstrip(" \t")
    if line.startswith('"'):
        end = line.find('"', 1)
        if end < 0 or (end + 1 < len(line) and line[end + 1] not in " \t"):
            raise ValueError("unterminated quoted principals")
        return line[1:end], line[end + 1 :]
    parts = re.split(r"[ \t]+", line, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _options_token(line: str) -> tuple[str, str]:
    """The options field: up to the first space or tab outside double quotes."""
    line = line.lstrip(" \t")
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c in " \t" and not quoted:
            return line[:i], line[i:]
    raise ValueError("options without a key")


def _parse_options(text: str) -> dict[str, str | None]:
    """``opt[="value"],…`` as sshsig.c reads it; each error names the option it is about."""
    opts: dict[str, str | None] = {}
    pos = 0
    while pos < len(text):
        m = _OPTION.match(text, pos)
        if not m or not m.group(0):
            raise ValueError(f"invalid options {text[pos : pos + 40]!r}")
        name, quoted, unquoted = m.group(1).lower(), m.group(2), m.group(3)
        if name not in OPTIONS:
            raise ValueError(
                f"unknown option {m.group(1)!r} (allowed_signers takes {', '.join(OPTIONS)})"
            )
        if name in opts:
            raise ValueError(f"{name}: given twice")
        if name == "cert-authority":
            if quoted is not None or unquoted is not None:
                raise ValueError("cert-authority: takes no value")
        elif unquoted is not None:
            raise ValueError(f"{name}: the value must be in double quotes")
        elif quoted is None:
            raise ValueError(f'{name}: needs a value, {name}="…"')
        opts[name] = None if quoted is None else quoted.replace('\\"', '"')
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise ValueError(f"{name}: unexpected {text[pos : pos + 20]!r} after the option")
            pos += 1
    return opts


def _time_option(opts: dict[str, str | None], name: str) -> int | None:
    if name not in opts:
        return None
    try:
        return parse_time(opts[name] or "")
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def parse_line(line: str, where: str) -> AllowedSigner | None:
    """Parse one line; None for blanks and comments; ValueError says what is wrong."""
    stripped = line.strip(" \t\r\n")
    if not stripped or stripped.startswith("#"):
        return None
    principals, rest = _token(stripped)
    if not principals or not rest.strip():
        raise ValueError("expected 'principals [options] keytype key'")
    opts: dict[str, str | None] = {}
    first = rest.lstrip(" \t").split(None, 1)[0]
    if first not in KEY_TYPES and not first.endswith("-cert-v01@openssh.com"):
        options, rest = _options_token(rest)
        opts = _parse_options(options)
    fields = rest.split()
    if len(fields) < 2:
        raise ValueError("missing key")
    try:
        blob = base64.b64decode(fields[1], validate=True)
        key = parse_public_key(blob)
    except (binascii.Error, ValueError, WireError) as exc:
        raise ValueError(f"invalid key: {exc}") from None
    if key.key_type != fields[0]:
        raise ValueError(f"key type {fields[0]!r} does not match the key ({key.key_type})")
    after = _time_option(opts, "valid-after")
    before = _time_option(opts, "valid-before")
    if after is not None and before is not None and before <= after:
        raise ValueError(
            f"valid-before: {opts['valid-before']} is not after valid-after {opts['valid-after']}"
        )
    return AllowedSigner(
        where, principals, key, "cert-authority" in opts, opts.get("namespaces"), after, before
    )
