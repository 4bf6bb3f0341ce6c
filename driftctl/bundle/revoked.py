"""Revoked signer keys: an OpenSSH KRL (PROTOCOL.krl) or a plain list of public keys.

Read like ``ssh-keygen -Y verify -r FILE`` reads it: a file that starts with the KRL magic is
a KRL, anything else is a list of public keys, one per line. A key is revoked when it, or the
CA that signed its certificate, is listed (explicitly or by SHA1/SHA256 fingerprint), or when
its certificate's serial or key id is revoked for that CA. The KRL is parsed strictly: a
malformed one is bad input (exit 2), never an empty list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from driftctl.bundle.certs import PublicKey, parse_public_key
from driftctl.bundle.wire import Reader, WireError
from driftctl.errors import InputError
from driftctl.safeio import read_capped

MAX_REVOKED_BYTES = 16 * 1024 * 1024
KRL_MAGIC = b"SSHKRL\n\0"
KRL_FORMAT_VERSION = 1
# Section types (PROTOCOL.krl §1) and certificate subsection types (§2).
CERTIFICATES, EXPLICIT_KEY, SHA1, SIGNATURE, SHA256, EXTENSION = 1, 2, 3, 4, 5, 255
SERIAL_LIST, SERIAL_RANGE, SERIAL_BITMAP, KEY_ID, CERT_EXTENSION = 0x20, 0x21, 0x22, 0x23, 0x39
MAX_BIGNUM = 2048  # bytes; OpenSSH's SSHBUF_MAX_BIGNUM, so a bitmap covers at most 16,384 serials
U64 = 2**64


@dataclass(frozen=True)
class CertRevocations:
    """Certificates revoked for one CA (or for any CA): serial ranges and key ids."""

    serials: tuple[tuple[int, int], ...] = ()  # inclusive ranges
    bitmaps: tuple[tuple[int, int], ...] = ()  # (offset, bits): bit N revokes offset + N
    key_ids: frozenset[str] = frozenset()

    def revokes(self, serial: int, key_id: str) -> str | None:
        if key_id in self.key_ids:
            return f"certificate key id {key_id!r}"
        # Serial 0 is what a CA writes when given none; OpenSSH never matches it.
        if not serial:
            return None
        if any(lo <= serial <= hi for lo, hi in self.serials) or any(
            serial >= offset and bits >> (serial - offset) & 1 for offset, bits in self.bitmaps
        ):
            return f"certificate serial {serial}"
        return None


@dataclass(frozen=True)
class Revocations:
    """Everything one revocation file revokes."""

    path: Path
    keys: frozenset[bytes] = frozenset()  # plain public key blobs
    sha1: frozenset[bytes] = frozenset()
    sha256: frozenset[bytes] = frozenset()
    certs: Mapping[bytes, CertRevocations] = field(default_factory=dict)  # b"" = any CA

    def _plain(self, blob: bytes) -> str | None:
        if blob in self.keys:
            return "explicitly"
        if hashlib.sha256(blob).digest() in self.sha256:
            return "by SHA256 fingerprint"
        if hashlib.sha1(blob).digest() in self.sha1:  # noqa: S324 - KRL section 3 is SHA1
            return "by SHA1 fingerprint"
        return None

    def reason(self, key: PublicKey) -> str | None:
        """Why ``key`` is revoked (``ssh_krl_check_key``'s order), or None when it is not."""
        how = self._plain(key.plain_blob)
        if how:
            return f"key revoked {how}"
        cert = key.cert
        if cert is None:
            return None
        for ca in (cert.ca_blob, b""):
            listed = self.certs.get(ca)
            what = listed.revokes(cert.serial, cert.key_id) if listed else None
            if what:
                return f"{what} revoked"
        how = self._plain(cert.ca_blob)
        return f"certificate authority revoked {how}" if how else None


class _Krl:
    """Accumulates a KRL's sections while it is parsed."""

    def __init__(self) -> None:
        self.keys: set[bytes] = set()
        self.sha1: set[bytes] = set()
        self.sha256: set[bytes] = set()
        self.serials: dict[bytes, list[tuple[int, int]]] = {}
        self.bitmaps: dict[bytes, list[tuple[int, int]]] = {}
        self.key_ids: dict[bytes, set[str]] = {}

    def serial_range(self, ca: bytes, lo: int, hi: int) -> None:
        if lo == 0 or lo > hi:
            raise WireError(f"invalid certificate serial range {lo}-{hi}")
        self.serials.setdefault(ca, []).append((lo, hi))


def _cstring(reader: Reader, what: str) -> str:
    raw = reader.string(what)
    if b"\0" in raw:
        raise WireError(f"{what} contains a NUL byte")
    return raw.decode("utf-8", "backslashreplace")


def _extension(data: bytes, where: str) -> None:
    """An extension (sub)section: ignorable unless marked critical (PROTOCOL.krl §2.5, §5)."""
    reader = Reader(data)
    name = _cstring(reader, f"{where} name")
    critical = reader.raw(1, f"{where} critical flag")[0]
    reader.string(f"{where} contents")
    reader.expect_end(where)
    if critical:
        raise WireError(f"unsupported critical {where} {name!r}")


def _bitmap(reader: Reader) -> tuple[int, int]:
    """A serial bitmap subsection: an offset and an mpint, checked as OpenSSH checks them."""
    offset = reader.uint64("serial bitmap offset")
    raw = reader.string("serial bitmap")
    if raw and raw[0] & 0x80:
        raise WireError("serial bitmap is negative")
    if len(raw) > MAX_BIGNUM + 1 or (len(raw) == MAX_BIGNUM + 1 and raw[0] != 0):
        raise WireError("serial bitmap is too large")
    bits = int.from_bytes(raw, "big")
    if bits and offset + bits.bit_length() - 1 >= U64:
        raise WireError("serial bitmap wraps past 2**64")
    if offset == 0 and bits & 1:
        raise WireError("serial bitmap revokes serial 0")
    return offset, bits


def _certificates(data: bytes, krl: _Krl) -> None:
    reader = Reader(data)
    ca = reader.string("certificate section CA key")
    reader.string("certificate section reserved field")
    if ca:
        parse_public_key(ca)  # must be a key; the empty string means "any CA"
    while not reader.done():
        kind = reader.raw(1, "certificate subsection type")[0]
        raw = reader.string("certificate subsection")
        if kind == CERT_EXTENSION:
            _extension(raw, "certificate extension")
            continue
        sub = Reader(raw)
        if kind == SERIAL_LIST:
            while not sub.done():
                serial = sub.uint64("certificate serial")
                krl.serial_range(ca, serial, serial)
        elif kind == SERIAL_RANGE:
            krl.serial_range(ca, sub.uint64("serial min"), sub.uint64("serial max"))
        elif kind == SERIAL_BITMAP:
            krl.bitmaps.setdefault(ca, []).append(_bitmap(sub))
        elif kind == KEY_ID:
            while not sub.done():
                krl.key_ids.setdefault(ca, set()).add(_cstring(sub, "certificate key id"))
        else:
            raise WireError(f"unknown certificate subsection type {kind:#04x}")
        sub.expect_end("certificate subsection")


def _blobs(data: bytes, size: int, what: str, into: set[bytes]) -> None:
    reader = Reader(data)
    while not reader.done():
        blob = reader.string(what)
        if (size and len(blob) != size) or not blob:
            raise WireError(f"{what} of {len(blob)} bytes")
        into.add(blob)


def parse_krl(data: bytes, path: Path) -> Revocations:
    """Parse a binary KRL strictly; WireError says what is wrong."""
    reader = Reader(data)
    reader.raw(len(KRL_MAGIC), "magic")
    version = reader.uint32("format version")
    if version != KRL_FORMAT_VERSION:
        raise WireError(f"unsupported KRL format version {version}")
    for what in ("KRL version", "generation date", "flags"):
        reader.uint64(what)
    reader.string("reserved field")
    _cstring(reader, "comment")
    krl = _Krl()
    while not reader.done():
        kind = reader.raw(1, "section type")[0]
        section = reader.string("section")
        if kind == CERTIFICATES:
            _certificates(section, krl)
        elif kind == EXPLICIT_KEY:
            _blobs(section, 0, "revoked key", krl.keys)
        elif kind == SHA1:
            _blobs(section, 20, "SHA1 fingerprint", krl.sha1)
        elif kind == SHA256:
            _blobs(section, 32, "SHA256 fingerprint", krl.sha256)
        elif kind == EXTENSION:
            _extension(section, "extension")
        elif kind == SIGNATURE:
            raise WireError(
                "KRL signatures are not supported (OpenSSH 9.4 refuses them too); "
                "sign the KRL with ssh-keygen -Y sign instead"
            )
        else:
            raise WireError(f"unknown section type {kind}")
    certs = {
        ca: CertRevocations(
            tuple(sorted(krl.serials.get(ca, ()))),
            tuple(krl.bitmaps.get(ca, ())),
            frozenset(krl.key_ids.get(ca, ())),
        )
        for ca in set(krl.serials) | set(krl.bitmaps) | set(krl.key_ids)
    }
    return Revocations(path, frozenset(krl.keys), frozenset(krl.sha1), frozenset(krl.sha256), certs)


def parse_key_list(text: str, path: Path) -> Revocations:
    """One public key per line (``type base64 [comment]``); ``#`` comments and blanks skipped."""
    keys: set[bytes] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip(" \t\r")
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        try:
            if len(fields) < 2:
                raise ValueError("expected 'keytype base64 [comment]'")
            key = parse_public_key(base64.b64decode(fields[1], validate=True))
            if key.key_type != fields[0]:
                raise ValueError(f"key type {fields[0]!r} does not match the key")
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{path}: line {number}: not a public key: {exc}") from None
        keys.add(key.plain_blob)
    return Revocations(path, keys=frozenset(keys))


def load_revoked(path: Path) -> Revocations:
    """Read a KRL or a public key list; InputError names the file and what is wrong."""
    data = read_capped(path, MAX_REVOKED_BYTES)
    if data.startswith(KRL_MAGIC):
        try:
            return parse_krl(data, path)
        except WireError as exc:
            raise InputError(f"{path}: invalid KRL: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: neither a KRL nor a UTF-8 list of public keys") from None
    return parse_key_list(text, path)
