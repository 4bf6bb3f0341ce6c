"""Encoded layers, opened before judging: base64 (standard or URL-safe, padded or not) and gzip,
bounded in depth and in bytes; and what a decoded layer is when it is not text.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise

MAX_DEPTH = 3  # layers opened inside one value; a further layer cannot be judged (fail closed)
MAX_LAYER_BYTES = 1 << 20  # one gunzipped layer; more cannot be judged (fail closed)
# Decoded bytes a collection may open: a floor plus twice what it judges, so a hostile
# megabyte of small gzip blobs cannot make a megabyte cost more than a few; past it, encoded
# values are redacted unread.
BUDGET_FLOOR = 1 << 20  # without gzip, nested base64 never decodes to twice its input
BUDGET_PER_BYTE = 2
MIN_ENCODED = 16  # shorter runs carry too little to be a credential worth decoding

B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_$-])[A-Za-z0-9+/_-]{16,}+={0,2}+(?![A-Za-z0-9+/=_-])")
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_.-]{20,4096}")
_HEX = re.compile(r"(?:sha\d*[:-])?[0-9a-fA-F]{16,}")
_UUIDISH = re.compile(
    r"(?i)(?:[a-z]{1,8}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_BASIC = re.compile(r"[^\s:]{1,256}:[^\s]{1,256}")


class LayerTooLarge(Exception):
    """A gzip layer inflates past MAX_LAYER_BYTES: it cannot be judged."""


class Kind(Enum):
    """What a decoded layer holds."""

    TEXT = "text"
    BINARY = "binary"
    CERTIFICATE = "certificate"
    PRIVATE_KEY = "private-key"


@dataclass
class Budget:
    """Decoded bytes left for one collection (a hostile dump cannot make decoding unbounded)."""

    left: int = BUDGET_FLOOR

    def grant(self, judged: int) -> None:
        """Allow more decoding for ``judged`` more bytes of input."""
        self.left += BUDGET_PER_BYTE * judged

    def spend(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0


def b64decode(text: str) -> bytes | None:
    """The bytes of a base64 run (either alphabet, padding optional), or None."""
    core = text.rstrip("=")
    if len(core) < MIN_ENCODED or len(core) % 4 == 1:
        return None
    urlsafe = "-" in core or "_" in core
    if urlsafe and ("+" in core or "/" in core):
        return None
    try:
        return base64.b64decode(
            core + "=" * (-len(core) % 4), altchars=b"-_" if urlsafe else None, validate=True
        )
    except (binascii.Error, ValueError):
        return None


def gunzip(data: bytes) -> bytes | None:
    """Gunzipped bytes, None when not valid gzip; LayerTooLarge past MAX_LAYER_BYTES."""
    try:
        out = zlib.decompressobj(wbits=31).decompress(data, MAX_LAYER_BYTES + 1)
    except zlib.error:
        return None
    if len(out) > MAX_LAYER_BYTES:
        raise LayerTooLarge
    return out


def as_text(data: bytes) -> str | None:
    """The layer as text when it is UTF-8 of printable characters, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = text.replace("\n", "").replace("\r", "").replace("\t", "")
    return text if printable.isprintable() else None


def _der_header(data: bytes) -> int | None:
    """Offset after the outer SEQUENCE header of a DER blob, or None."""
    if len(data) < 8 or data[0] != 0x30:
        return None
    if data[1] < 0x80:
        return 2
    n = data[1] & 0x7F
    return 2 + n if 1 <= n <= 3 else None


def classify(data: bytes) -> Kind:
    """A binary layer: a DER private key (PKCS#1/#8, SEC1), a certificate, or opaque bytes."""
    at = _der_header(data)
    if at is not None:
        body = data[at : at + 4]
        if body[:3] == b"\x02\x01\x00" or body[:4] == b"\x02\x01\x01\x04":
            return Kind.PRIVATE_KEY  # version 0 (PKCS#1/#8) or SEC1 ecPrivateKey
        if body[:1] == b"\x30":
            return Kind.CERTIFICATE  # SEQUENCE in SEQUENCE: tbsCertificate
    return Kind.BINARY


def basic_credentials(text: str) -> bool:
    """``user:password`` alone on one line: what HTTP Basic and registry ``auth`` encode."""
    return _BASIC.fullmatch(text) is not None


def looks_opaque(value: str) -> bool:
    """A long random-looking token (no words, no digest, no id): judged secret on its own.

    Needs 20+ characters of token alphabet, upper and lower case and digits, a character
    class changing at most every two characters and ≥ 3.5 bits of entropy per character;
    hex digests, ``sha256:`` digests and UUIDs never are (they are facts diff needs).
    """
    if _OPAQUE.fullmatch(value) is None or value.count(".") > 2:
        return False
    if _HEX.fullmatch(value) or _UUIDISH.fullmatch(value):
        return False
    if not (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    ):
        return False
    classes = [0 if c.isupper() else 1 if c.islower() else 2 if c.isdigit() else 3 for c in value]
    switches = sum(a != b for a, b in pairwise(classes))
    if switches < 0.4 * (len(value) - 1):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.5
