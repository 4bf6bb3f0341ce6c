"""Site signing keys: Ed25519 private key files in OpenSSH format, generated and loaded."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from driftctl.bundle import SITE_PATTERN
from driftctl.bundle.signer import MAX_KEY_BYTES, PublicHalf, ed25519_blob
from driftctl.errors import InputError
from driftctl.safeio import read_capped


def check_site(site: str) -> str:
    """Return ``site`` if it is a valid site id (docs/bundle.md), else raise InputError."""
    if not re.fullmatch(SITE_PATTERN, site):
        raise InputError(f"invalid site id {site!r}: expected {SITE_PATTERN}")
    return site


@dataclass(frozen=True)
class SigningKey(PublicHalf):
    """An Ed25519 private key and its public blob; signs SSHSIG messages."""

    private: Ed25519PrivateKey
    public_blob: bytes
    comment: str = ""

    def sign(self, data: bytes) -> bytes:
        """Raw 64-byte Ed25519 signature over ``data``."""
        return self.private.sign(data)


def _from_private(private: Ed25519PrivateKey, comment: str) -> SigningKey:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return SigningKey(private, ed25519_blob(raw), comment)


def generate_key(site: str, out_dir: Path, passphrase: str | None = None) -> tuple[Path, Path]:
    """Write ``<out_dir>/<site>_ed25519`` (0600) and its ``.pub``; never overwrite either."""
    check_site(site)
    priv_path = out_dir / f"{site}_ed25519"
    pub_path = out_dir / f"{site}_ed25519.pub"
    for path in (priv_path, pub_path):
        if path.exists() or path.is_symlink():
            raise InputError(f"{path}: already exists; refusing to overwrite a key")
    private = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )
    key = _from_private(private, f"{site}@driftctl")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        fd = os.open(pub_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.public_line() + "\n")
    except FileExistsError as exc:
        raise InputError(f"{exc.filename}: already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write key: {exc.strerror}") from None
    return priv_path, pub_path


def _pub_comment(path: Path, blob: bytes) -> str:
    """The comment of the sibling ``.pub`` file when it holds the same key, else ''."""
    try:
        parts = Path(f"{path}.pub").read_text().split(None, 2)
        if len(parts) == 3 and base64.b64decode(parts[1]) == blob:
            return parts[2].strip()
    except (OSError, ValueError):
        pass
    return ""


def load_private_key(path: Path, passphrase: str | None = None) -> SigningKey:
    """Load an OpenSSH Ed25519 private key (optionally passphrase-protected); InputError names it."""
    data = read_capped(path, MAX_KEY_BYTES)
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" not in data:
        raise InputError(f"{path}: not an OpenSSH private key")
    st = path.stat()
    mode = st.st_mode & 0o777
    # OpenSSH's rule: a key of one's own that others can read is refused. A key owned by another
    # user (a Kubernetes Secret volume: root-owned, group-readable through fsGroup) is not.
    if st.st_uid == os.getuid() and mode & 0o077:
        raise InputError(
            f"{path}: private key is readable by others (mode {mode:04o}); chmod 600 it"
        )
    password = passphrase.encode() if passphrase else None
    try:
        try:
            private = serialization.load_ssh_private_key(data, password)
        except TypeError:
            if password is None:
                raise InputError(
                    f"{path}: key is passphrase-protected; give --passphrase-file "
                    "or $DRIFTCTL_KEY_PASSPHRASE"
                ) from None
            private = serialization.load_ssh_private_key(
                data, None
            )  # a passphrase for a plain key: ignore it
    except ValueError:
        if password is not None:
            raise InputError(f"{path}: wrong passphrase (or corrupt key)") from None
        raise InputError(f"{path}: corrupt or unsupported private key") from None
    except InputError:
        raise
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and friends
        raise InputError(f"{path}: cannot load private key: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise InputError(f"{path}: not an Ed25519 key (driftctl signs with Ed25519 only)")
    key = _from_private(private, "")
    return SigningKey(key.private, key.public_blob, _pub_comment(path, key.public_blob))


def read_passphrase(path: Path) -> str:
    """A key passphrase file: UTF-8 text, its trailing newline dropped; InputError names it."""
    data = read_capped(path, MAX_KEY_BYTES)
    try:
        return data.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (a passphrase file holds one line)") from None
