"""paramiko transports that verify host keys, never hang, and turn every failure into one line."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
from dataclasses import dataclass

from driftctl.sources.ssh_paramiko import (
    Agent,
    AuthenticationException,
    Channel,
    ChannelException,
    HostKeys,
    PasswordRequiredException,
    PKey,
    SSHException,
    Transport,
)
from driftctl.sources.ssh_resolve import Endpoint, Hop

MAX_OUTPUT_BYTES = 32 * 1024 * 1024
RSA_TYPES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


class SshFailure(Exception):
    """A node could not be reached or a command failed to complete; ``str()`` is one line."""


class CommandTimeout(SshFailure):
    """A remote command did not finish within its timeout (its channel is closed)."""


def fingerprint(key: PKey) -> str:
    """OpenSSH's ``SHA256:…`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class HostKeyChecker:
    """Host keys from one known_hosts file, read once and never written (no auto-add, ever)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.expanduser(path)
        self.keys: HostKeys = HostKeys()
        if os.path.isfile(self.path):
            self.keys.load(self.path)

    def known_types(self, hop: Hop) -> list[str]:
        entry = self.keys.lookup(hop.known_hosts_name)
        return list(entry.keys()) if entry else []

    def check(self, hop: Hop, key: PKey) -> None:
        entry = self.keys.lookup(hop.known_hosts_name)
        fp = fingerprint(key)
        if not entry:
            raise SshFailure(f"unknown host key for {hop.alias} ({fp}): not in {self.path}")
        known = entry.get(key.get_name())
        if known is None or known.asbytes() != key.asbytes():
            raise SshFailure(f"host key mismatch for {hop.alias} ({fp})")


class Credentials:
    """Private keys loaded once and shared by every connection (paramiko key loading is slow)."""

    def __init__(self, default_identity: str | None, use_agent: bool) -> None:
        self.default = (os.path.expanduser(default_identity),) if default_identity else ()
        self.use_agent = use_agent and bool(os.environ.get("SSH_AUTH_SOCK"))
        self._cache: dict[str, PKey | str] = {}
        self._lock = threading.Lock()

    def load(self, path: str) -> PKey | str:
        """The key at ``path``, or a one-line reason it cannot be used."""
        with self._lock:
            if path not in self._cache:
                try:
                    self._cache[path] = PKey.from_path(path)
                except PasswordRequiredException:
                    self._cache[path] = f"{path}: key is encrypted (use ssh-agent)"
                except (OSError, SSHException, ValueError) as exc:
                    self._cache[path] = f"{path}: cannot load key: {exc}"
            return self._cache[path]

    def keys_for(self, hop: Hop) -> tuple[list[PKey], list[str]]:
        keys: list[PKey] = []
        problems: list[str] = []
        for path in hop.identity_files or self.default:
            loaded = self.load(path)
            if isinstance(loaded, str):
                problems.append(loaded)
            else:
                keys.append(loaded)
        return keys, problems


@dataclass(frozen=True)
class Limits:
    """Every wait is bounded by ``timeout`` seconds."""

    timeout: float


def _tcp(hop: Hop, limits: Limits) -> socket.socket:
    try:
        return socket.create_connection((hop.host, hop.port), timeout=limits.timeout)
    except ConnectionRefusedError:
        raise SshFailure("connection refused") from None
    except TimeoutError:
        raise SshFailure(f"connect timed out after {limits.timeout:.1f} s") from None
    except socket.gaierror as exc:
        raise SshFailure(f"cannot resolve {hop.host}: {exc.strerror}") from None
    except OSError as exc:
        raise SshFailure(f"connect failed: {exc.strerror or exc}") from None


def _auth(t: Transport, hop: Hop, creds: Credentials) -> None:
    keys, problems = creds.keys_for(hop)
    agent = Agent() if creds.use_agent else None
    try:
        for key in [*keys, *(agent.get_keys() if agent else ())]:
            try:
                t.auth_publickey(hop.user, key)
                return
            except AuthenticationException:
                continue
            except SSHException as exc:
                raise SshFailure(f"authentication failed: {exc}") from None
    finally:
        if agent is not None:
            agent.close()
    why = f" ({'; '.join(problems)})" if problems else ""
    if not keys and agent is None:
        why = why or " (no identity file and no ssh-agent)"
    raise SshFailure(f"authentication failed for user {hop.user}{why}")


def open_hop(
    hop: Hop,
    sock: socket.socket | Channel,
    hostkeys: HostKeyChecker,
    creds: Credentials,
    limits: Limits,
    opened: list[Transport],
) -> Transport:
    """SSH over ``sock``: banner, key exchange, host key check, public-key auth — each bounded."""
    t = Transport(sock)
    opened.append(t)  # so a site deadline can close it from another thread
    try:
        t.banner_timeout = t.handshake_timeout = t.auth_timeout = limits.timeout
        known = hostkeys.known_types(hop)
        if known:  # ask for the key type we can check, as OpenSSH does
            wanted = [x for k in known for x in (RSA_TYPES if k == "ssh-rsa" else (k,))]
            opts = t.get_security_options()
            opts.key_types = [
                *[k for k in wanted if k in opts.key_types],
                *[k for k in opts.key_types if k not in wanted],
            ]
        try:
            t.start_client(timeout=limits.timeout)
        except SSHException as exc:
            if "banner" in str(exc).lower():
                raise SshFailure(f"no SSH banner within {limits.timeout:.1f} s") from None
            raise SshFailure(
                f"SSH handshake failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        except EOFError:
            raise SshFailure("connection closed during SSH handshake") from None
        if not t.is_active() or not t.initial_kex_done:  # start_client returns at its timeout
            if not t.remote_version:
                raise SshFailure(f"no SSH banner within {limits.timeout:.1f} s")
            raise SshFailure(f"SSH key exchange did not finish within {limits.timeout:.1f} s")
        hostkeys.check(hop, t.get_remote_server_key())
        _auth(t, hop, creds)
        return t
    except BaseException:
        t.close()
        raise


def connect(
    endpoint: Endpoint,
    hostkeys: HostKeyChecker,
    creds: Credentials,
    limits: Limits,
    opened: list[Transport],
) -> Transport:
    """The target's transport, through its ProxyJump chain; every transport opened goes in ``opened``."""
    sock: socket.socket | Channel
    previous: Transport | None = None
    previous_alias = ""
    for hop in (*endpoint.jumps, endpoint.target):
        if previous is None:
            sock = _tcp(hop, limits)
        else:
            try:
                sock = previous.open_channel(
                    "direct-tcpip", (hop.host, hop.port), ("127.0.0.1", 0), timeout=limits.timeout
                )
            except (ChannelException, SSHException) as exc:
                raise SshFailure(
                    f"bastion {previous_alias} could not reach {hop.host}:{hop.port}: {exc}"
                ) from None
        try:
            previous = open_hop(hop, sock, hostkeys, creds, limits, opened)
        except SshFailure as exc:
            if hop is not endpoint.target:
                raise SshFailure(f"via bastion {hop.alias}: {exc}") from None
            raise
        previous_alias = hop.alias
    assert previous is not None
    return previous
