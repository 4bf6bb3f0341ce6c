"""SSHSIG (OpenSSH PROTOCOL.sshsig): armor, strict parsing, signing and verifying, byte-exact."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from driftctl.bundle.certs import ED25519, PublicKey, parse_public_key, parse_ssh_signature
from driftctl.bundle.certs import verify_ed25519 as _verify_raw
from driftctl.bundle.signer import Signer
from driftctl.bundle.wire import Reader, WireError, string, uint32

MAGIC = b"SSHSIG"
VERSION = 1
BEGIN = b"-----BEGIN SSH SIGNATURE-----"
END = b"-----END SSH SIGNATURE-----"
HASH_ALGS = ("sha256", "sha512")
MAX_SIG_BYTES = 16 * 1024


class SignatureError(ValueError):
    """A malformed or invalid SSHSIG signature; the message says what is wrong."""


@dataclass(frozen=True)
class Signature:
    """A parsed SSHSIG blob."""

    public_key: PublicKey
    namespace: str
    hash_alg: str
    sig_alg: str
    sig: bytes


def armor(blob: bytes) -> bytes:
    """Armor a blob as OpenSSH does: base64 wrapped at 70 columns, newline after the footer."""
    b64 = base64.b64encode(blob)
    lines = [b64[i : i + 70] for i in range(0, len(b64), 70)]
    return BEGIN + b"\n" + b"\n".join(lines) + b"\n" + END + b"\n"


def dearmor(data: bytes) -> bytes:
    """Undo the armor as OpenSSH's ``sshsig_dearmor`` does, and refuse junk after the footer.

    Like OpenSSH: the file starts with the header and a bare ``\\n`` (so a CRLF file is
    refused), the body runs to the first ``\\n-----END SSH SIGNATURE-----``, whitespace
    inside the base64 is skipped, and the base64 must be canonical (padding, zero spare bits).
    Stricter than OpenSSH: only whitespace may follow the footer (trailing blank lines are
    fine), since bytes there are covered by nothing. docs/bundle.md lists both.
    """
    if not data.startswith(BEGIN + b"\n"):
        if data.startswith(BEGIN + b"\r\n"):
            raise SignatureError("CRLF line ends (ssh-keygen refuses them too; convert to LF)")
        raise SignatureError("missing '-----BEGIN SSH SIGNATURE-----' header line")
    body = data[len(BEGIN) + 1 :]
    end = body.find(b"\n" + END)
    if end < 0:
        raise SignatureError("missing '-----END SSH SIGNATURE-----' footer")
    if body[end + 1 + len(END) :].strip():  # bytes.strip: ASCII whitespace, as C's isspace
        raise SignatureError("data after the armor footer")
    b64 = body[:end].translate(None, b" \t\n\r\x0b\x0c")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("armor is not valid base64") from None
    if base64.b64encode(blob) != b64:
        raise SignatureError("armor is not canonical base64 (padding or spare bits)")
    return blob


def parse_blob(blob: bytes) -> Signature:
    """Parse an SSHSIG blob strictly (magic, version, fields, no trailing data)."""
    try:
        reader = Reader(blob)
        if reader.raw(6, "magic") != MAGIC:
            raise SignatureError("bad magic (not an SSHSIG signature)")
        version = reader.uint32("version")
        if version != VERSION:
            raise SignatureError(f"unsupported SSHSIG version {version}")
        key_blob = reader.string("public key")
        namespace = reader.text("namespace")
        reader.string("reserved")  # spec: ignore when not empty
        hash_alg = reader.text("hash algorithm")
        sig_blob = reader.string("signature")
        reader.expect_end("signature")
        if not namespace:
            raise SignatureError("empty namespace")
        if hash_alg not in HASH_ALGS:
            raise SignatureError(f"unsupported hash algorithm {hash_alg!r}")
        sig_alg, sig = parse_ssh_signature(sig_blob)
        public_key = parse_public_key(key_blob)
    except WireError as exc:
        raise SignatureError(str(exc)) from None
    return Signature(public_key, namespace, hash_alg, sig_alg, sig)


def parse_armored(data: bytes) -> Signature:
    """Size-check, de-armor and parse an armored signature file's bytes."""
    if len(data) > MAX_SIG_BYTES:
        raise SignatureError(f"larger than {MAX_SIG_BYTES} bytes")
    return parse_blob(dearmor(data))


def signed_data(namespace: str, hash_alg: str, digest: bytes) -> bytes:
    """The bytes the signature primitive signs (PROTOCOL.sshsig §3)."""
    return (
        MAGIC
        + string(namespace.encode())
        + string(b"")
        + string(hash_alg.encode())
        + string(digest)
    )


def sign_digest(key: Signer, digest: bytes, namespace: str, hash_alg: str = "sha512") -> bytes:
    """Armored SSHSIG over a message whose ``hash_alg`` digest is ``digest``."""
    sig = key.sign(signed_data(namespace, hash_alg, digest))
    blob = (
        MAGIC
        + uint32(VERSION)
        + string(key.public_blob)
        + string(namespace.encode())
        + string(b"")
        + string(hash_alg.encode())
        + string(string(b"ssh-ed25519") + string(sig))
    )
    return armor(blob)


def sign(key: Signer, message: bytes, namespace: str) -> bytes:
    """Armored SSHSIG (sha512) over ``message``; identical to ``ssh-keygen -Y sign``."""
    return sign_digest(key, hashlib.sha512(message).digest(), namespace)


def verify_digest(signature: Signature, digest: bytes, namespace: str, hash_alg: str) -> None:
    """Check namespace, hash algorithm and the cryptographic signature; SignatureError if not."""
    if signature.namespace != namespace:
        raise SignatureError(f"namespace {signature.namespace!r} is not {namespace!r}")
    if signature.hash_alg != hash_alg:
        raise SignatureError(f"hash algorithm {signature.hash_alg!r} is not {hash_alg!r}")
    raw = signature.public_key.ed25519
    if raw is None:
        raise SignatureError(f"unsupported signer key type {signature.public_key.key_type}")
    if signature.sig_alg != ED25519:
        raise SignatureError(f"signature algorithm {signature.sig_alg!r} does not match the key")
    if not _verify_raw(raw, signature.sig, signed_data(namespace, hash_alg, digest)):
        raise SignatureError("signature does not match the data (tampered or wrong file)")
