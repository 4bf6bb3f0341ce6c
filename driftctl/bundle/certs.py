"""Public key blobs and OpenSSH user certificates (ssh-ed25519-cert-v01@openssh.com)."""

from __future__ import annotations

from dataclasses import dataclass

from driftctl.bundle.signer import ed25519_blob
from driftctl.bundle.wire import Reader, WireError

ED25519 = "ssh-ed25519"
ED25519_CERT = "ssh-ed25519-cert-v01@openssh.com"
USER_CERT = 1


@dataclass(frozen=True)
class Certificate:
    """The fields of an OpenSSH certificate that signature verification needs."""

    key_id: str
    serial: int
    cert_type: int
    principals: tuple[str, ...]
    valid_after: int
    valid_before: int
    critical_options: bytes
    ca_blob: bytes


@dataclass(frozen=True)
class PublicKey:
    """A parsed public key blob: its type, plain Ed25519 key, and certificate when it is one."""

    key_type: str
    blob: bytes
    ed25519: bytes | None = None  # raw 32-byte key when the key (or cert) is Ed25519
    cert: Certificate | None = None

    @property
    def plain_blob(self) -> bytes:
        """The blob of the underlying plain key (what fingerprints are computed over)."""
        return ed25519_blob(self.ed25519) if self.ed25519 is not None else self.blob


def verify_ed25519(raw_key: bytes, signature: bytes, data: bytes) -> bool:
    """True if ``signature`` (raw 64 bytes) is a valid Ed25519 signature by ``raw_key``."""
    # Start-up time: cryptography loads only to check a signature (about 20 ms), never for
    # inspect or to read the store, which use this module's parsers.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_ssh_signature(blob: bytes) -> tuple[str, bytes]:
    """Split an SSH signature encoding into (algorithm, raw signature); strict, no trailing data."""
    reader = Reader(blob)
    alg = reader.text("signature algorithm")
    sig = reader.string("signature bytes")
    reader.expect_end("signature")
    return alg, sig


def _parse_cert(reader: Reader, blob: bytes) -> PublicKey:
    reader.string("certificate nonce")
    raw = reader.string("certificate public key")
    if len(raw) != 32:
        raise WireError("certificate Ed25519 key is not 32 bytes")
    serial = reader.uint64("certificate serial")
    cert_type = reader.uint32("certificate type")
    key_id = reader.text("certificate key id")
    names = Reader(reader.string("certificate principals"))
    principals = []
    while not names.done():
        principals.append(names.text("certificate principal"))
    valid_after = reader.uint64("certificate valid-after")
    valid_before = reader.uint64("certificate valid-before")
    critical = reader.string("certificate critical options")
    reader.string("certificate extensions")
    reader.string("certificate reserved")
    ca_blob = reader.string("certificate signature key")
    signed_part = blob[: reader.pos]
    sig_blob = reader.string("certificate signature")
    reader.expect_end("certificate")
    ca = parse_public_key(ca_blob)
    if ca.cert is not None or ca.key_type != ED25519 or ca.ed25519 is None:
        raise WireError(
            f"certificate CA key type {ca.key_type} is not supported (ssh-ed25519 only)"
        )
    alg, sig = parse_ssh_signature(sig_blob)
    if alg != ED25519 or not verify_ed25519(ca.ed25519, sig, signed_part):
        raise WireError("certificate signature by its CA is invalid")
    cert = Certificate(
        key_id, serial, cert_type, tuple(principals), valid_after, valid_before, critical, ca_blob
    )
    return PublicKey(ED25519_CERT, blob, raw, cert)


def parse_public_key(blob: bytes) -> PublicKey:
    """Parse an SSH public key blob; Ed25519 keys and certificates are understood, others opaque."""
    reader = Reader(blob)
    key_type = reader.text("public key type")
    if key_type == ED25519:
        raw = reader.string("Ed25519 public key")
        reader.expect_end("public key")
        if len(raw) != 32:
            raise WireError("Ed25519 public key is not 32 bytes")
        return PublicKey(ED25519, blob, raw)
    if key_type == ED25519_CERT:
        return _parse_cert(reader, blob)
    return PublicKey(key_type, blob)
