"""What signs a bundle: the ``Signer`` protocol, the public half every signer shares, fingerprints.

Key files (``keys.py``) and ssh-agent keys (``agent.py``) both build on this module; which of
the two signs a collection is chosen in ``site_key.py``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Protocol

from driftctl.bundle.wire import string

MAX_KEY_BYTES = 64 * 1024


def fingerprint(blob: bytes) -> str:
    """``SHA256:<base64, no padding>`` of a public key blob, as ``ssh-keygen -l`` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def ed25519_blob(raw: bytes) -> bytes:
    """The SSH wire encoding of a raw 32-byte Ed25519 public key."""
    return string(b"ssh-ed25519") + string(raw)


class Signer(Protocol):
    """What signs a bundle: a key file (``keys.py``) or a key held by ssh-agent (``agent.py``)."""

    @property
    def public_blob(self) -> bytes: ...

    @property
    def comment(self) -> str: ...

    def public_line(self) -> str: ...

    def fingerprint(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


class PublicHalf:
    """The public side every signer shares: the ``.pub`` line and the fingerprint."""

    public_blob: bytes
    comment: str

    def public_line(self) -> str:
        """``ssh-ed25519 AAAA... comment`` as in a ``.pub`` file."""
        b64 = base64.b64encode(self.public_blob).decode()
        return f"ssh-ed25519 {b64} {self.comment}".rstrip()

    def fingerprint(self) -> str:
        return fingerprint(self.public_blob)
