"""Signing through ssh-agent: a small client of the agent protocol, bounded by a timeout."""

from __future__ import annotations

import base64
import binascii
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from driftctl.bundle.signer import MAX_KEY_BYTES, PublicHalf, fingerprint
from driftctl.bundle.wire import Reader, WireError, string, uint32
from driftctl.errors import InputError, OperationalError
from driftctl.safeio import read_capped

# Message numbers of the agent protocol (draft-ietf-sshm-ssh-agent, as OpenSSH speaks it).
FAILURE = 5
REQUEST_IDENTITIES = 11
IDENTITIES_ANSWER = 12
SIGN_REQUEST = 13
SIGN_RESPONSE = 14
MAX_REPLY = 256 * 1024
# A key added with `ssh-add -c` waits for a person to confirm each signature.
DEFAULT_TIMEOUT = 60.0


def _exchange(sock_path: str, request: bytes, timeout: float) -> tuple[int, bytes]:
    """Send one request, read one reply: (message type, payload); OperationalError on trouble."""
    where = f"ssh-agent at {sock_path}"
    deadline = time.monotonic() + timeout  # for the whole exchange, not per read
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(sock_path)
            conn.sendall(uint32(len(request)) + request)
            (length,) = struct.unpack(">I", _recv(conn, 4, where, deadline))
            if not 1 <= length <= MAX_REPLY:
                raise OperationalError(f"{where}: reply of {length} bytes is not plausible")
            reply = _recv(conn, length, where, deadline)
    except TimeoutError:
        raise OperationalError(f"{where}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise OperationalError(f"{where}: {exc.strerror or exc}") from None
    return reply[0], reply[1:]


def _recv(conn: socket.socket, n: int, where: str, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        conn.settimeout(left)
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OperationalError(f"{where}: connection closed mid-reply")
        data += chunk
    return data


def _identities(sock_path: str, timeout: float) -> list[bytes]:
    kind, payload = _exchange(sock_path, bytes([REQUEST_IDENTITIES]), timeout)
    if kind != IDENTITIES_ANSWER:
        raise OperationalError(f"ssh-agent at {sock_path}: refused to list keys (reply {kind})")
    try:
        reader = Reader(payload)
        count = reader.uint32("key count")
        blobs = []
        for _ in range(count):
            blobs.append(reader.string("key blob"))
            reader.string("key comment")
        reader.expect_end("identities answer")
    except WireError as exc:
        raise OperationalError(f"ssh-agent at {sock_path}: malformed key list: {exc}") from None
    return blobs


@dataclass(frozen=True)
class AgentSigner(PublicHalf):
    """An Ed25519 key held by ssh-agent; the private half never enters this process."""

    socket_path: str
    public_blob: bytes
    comment: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def sign(self, data: bytes) -> bytes:
        """Raw 64-byte Ed25519 signature over ``data``, made by the agent and checked here."""
        where = f"ssh-agent at {self.socket_path}"
        request = bytes([SIGN_REQUEST]) + string(self.public_blob) + string(data) + uint32(0)
        kind, payload = _exchange(self.socket_path, request, self.timeout)
        if kind != SIGN_RESPONSE:
            raise OperationalError(f"{where}: refused to sign with {self.fingerprint()}")
        try:
            outer = Reader(payload)
            inner = Reader(outer.string("signature"))
            outer.expect_end("sign response")
            algorithm = inner.string("signature type")
            raw = inner.string("signature")
            inner.expect_end("signature")
        except WireError as exc:
            raise OperationalError(f"{where}: malformed signature: {exc}") from None
        if algorithm != b"ssh-ed25519" or len(raw) != 64:
            raise OperationalError(f"{where}: returned a {algorithm!r} signature, not Ed25519")
        # Fail closed: never write a .sig that does not verify under the key we announce.
        public = Reader(self.public_blob)
        public.string("key type")
        try:
            Ed25519PublicKey.from_public_bytes(public.string("key")).verify(raw, data)
        except (InvalidSignature, ValueError):
            raise OperationalError(f"{where}: signature does not verify; not used") from None
        return raw


def parse_public_line(path: Path) -> tuple[bytes, str]:
    """The key blob and comment of an ``ssh-ed25519 AAAA… comment`` file; InputError names it."""
    text = read_capped(path, MAX_KEY_BYTES).decode("utf-8", "replace").strip()
    parts = text.split(None, 2)
    if len(parts) < 2 or "\n" in text:
        raise InputError(f"{path}: not a one-line OpenSSH public key")
    if parts[0] != "ssh-ed25519":
        raise InputError(f"{path}: {parts[0]} key; driftctl signs with Ed25519 only")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        reader = Reader(blob)
        ok = reader.string("key type") == b"ssh-ed25519" and len(reader.string("key")) == 32
        ok = ok and reader.done()
    except (binascii.Error, WireError):
        ok = False
    if not ok:
        raise InputError(f"{path}: malformed ssh-ed25519 public key")
    return blob, parts[2] if len(parts) > 2 else ""


def agent_signer(path: Path, timeout: float = DEFAULT_TIMEOUT) -> AgentSigner:
    """The agent's key matching the public key at ``path`` ($SSH_AUTH_SOCK), checked up front."""
    blob, comment = parse_public_line(path)
    sock_path = os.environ.get("SSH_AUTH_SOCK", "")
    if not sock_path:
        raise InputError(
            f"{path}: a public key signs through ssh-agent, but $SSH_AUTH_SOCK is not set"
        )
    if blob not in _identities(sock_path, timeout):
        raise OperationalError(
            f"{path}: key {fingerprint(blob)} is not in the ssh-agent at {sock_path} (ssh-add it)"
        )
    return AgentSigner(sock_path, blob, comment, timeout)
