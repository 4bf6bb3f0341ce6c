"""The trust store: a stock OpenSSH ``allowed_signers`` file, matched like sshsig.c matches it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from driftctl.bundle import NAMESPACE
from driftctl.bundle.allowed_signers import AllowedSigner, parse_line
from driftctl.bundle.certs import USER_CERT, PublicKey
from driftctl.bundle.revoked import Revocations
from driftctl.errors import InputError
from driftctl.safeio import read_capped


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
