"""The trust store: a stock OpenSSH ``allowed_signers`` file, parsed and matched like sshsig.c."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from driftctl.bundle import NAMESPACE
from driftctl.bundle.certs import USER_CERT, PublicKey, parse_public_key
from driftctl.bundle.revoked import Revocations
from driftctl.bundle.wire import WireError
from driftctl.errors import InputError
from driftctl.safeio import read_capped

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


def match_pattern(name: str, pattern: str) -> bool:
    """OpenSSH ``match_pattern``: ``*`` any run, ``?`` one character, everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.DOTALL) is not None


def match_pattern_list(name: str, patterns: str) -> bool:
    """OpenSSH ``match_pattern_list`` == 1: some positive pattern matches and no ``!`` pattern does."""
    positive = False
    for pattern in patterns.split(","):
        if pattern.startswith("!"):
            if match_pattern(name, pattern[1:]):
                return False
        elif match_pattern(name, pattern):
            positive = True
    return positive


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


def matches_every_site(principals: str) -> bool:
    """A positive pattern made only of ``*`` and ``?`` admits (nearly) every site id."""
    return any(
        p and not p.startswith("!") and "*" in p and set(p) <= {"*", "?"}
        for p in principals.split(",")
    )


def _is_wildcard(signer: AllowedSigner) -> bool:
    """A plain key line that could sign bundles for any site (signer == site means nothing).

    cert-authority lines are exempt: there the certificate's own principals must also name
    the site, so ``*`` is the usual way to trust a CA. Lines whose namespaces exclude
    ``bundle@driftctl`` (a file shared with git signing, say) do not concern bundles.
    """
    if signer.cert_authority or not matches_every_site(signer.principals):
        return False
    return signer.namespaces is None or match_pattern_list(NAMESPACE, signer.namespaces)


@dataclass(frozen=True)
class TrustStore:
    """All lines of an ``allowed_signers`` file, and the keys revoked beside it."""

    path: Path
    signers: tuple[AllowedSigner, ...]
    revoked: Revocations | None = None
    wildcards: tuple[AllowedSigner, ...] = ()  # admitted with allow_wildcard_principals

    def revocation(self, key: PublicKey) -> str | None:
        """Why the signing key is revoked (``--revoked FILE``), or None."""
        if self.revoked is None:
            return None
        why = self.revoked.reason(key)
        return f"{why} in {self.revoked.path}" if why else None

    def candidates(
        self, key: PublicKey, namespace: str, when: int
    ) -> tuple[list[AllowedSigner], str]:
        """Lines that accept ``key`` for ``namespace`` at ``when`` (any principal), and why not."""
        ok: list[AllowedSigner] = []
        reasons: list[str] = []
        for signer in self.signers:
            if signer.cert_authority:
                if key.cert is None or key.cert.ca_blob != signer.key.blob:
                    continue
                cert = key.cert
                if cert.cert_type != USER_CERT:
                    reasons.append(f"certificate is not a user certificate ({signer.where})")
                    continue
                if not cert.principals:
                    reasons.append(f"certificate has no principals ({signer.where})")
                    continue
                if cert.critical_options:
                    reasons.append(f"certificate has critical options ({signer.where})")
                    continue
                if not cert.valid_after <= when < cert.valid_before:
                    reasons.append(
                        f"certificate not valid at the verification time ({signer.where})"
                    )
                    continue
            elif key.cert is not None or signer.key.blob != key.blob:
                continue
            if signer.namespaces is not None and not match_pattern_list(
                namespace, signer.namespaces
            ):
                reasons.append(f"key not permitted for namespace {namespace!r} ({signer.where})")
                continue
            if signer.valid_after is not None and when < signer.valid_after:
                reasons.append(
                    f"key not yet valid: valid-after {_iso(signer.valid_after)} ({signer.where})"
                )
                continue
            if signer.valid_before is not None and when > signer.valid_before:
                reasons.append(
                    f"key has expired: valid-before {_iso(signer.valid_before)} ({signer.where})"
                )
                continue
            ok.append(signer)
        return ok, "; ".join(reasons)


def allows_principal(signer: AllowedSigner, key: PublicKey, principal: str) -> bool:
    """The line's principals pattern-list (and a certificate's principals) admit ``principal``."""
    if not match_pattern_list(principal, signer.principals):
        return False
    return not signer.cert_authority or (key.cert is not None and principal in key.cert.principals)


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_trust(
    path: Path, revoked: Revocations | None = None, allow_wildcard_principals: bool = False
) -> TrustStore:
    """Read and parse an ``allowed_signers`` file; InputError names the file, line and option.

    A plain key line whose principals match every site is refused unless
    ``allow_wildcard_principals``; then it is kept and listed in ``wildcards`` for a warning.
    """
    data = read_capped(path, 4 * 1024 * 1024)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8") from None
    signers = []
    wildcards = []
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"{path}: line {number}"
        try:
            signer = parse_line(line, where)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        if signer is None:
            continue
        if _is_wildcard(signer):
            if not allow_wildcard_principals:
                raise InputError(
                    f"{where}: principals {signer.principals!r} match every site, so this one "
                    "key could sign bundles for any site; name the site(s), or pass "
                    "--allow-wildcard-principals"
                )
            wildcards.append(signer)
        signers.append(signer)
    return TrustStore(path, tuple(signers), revoked, tuple(wildcards))
