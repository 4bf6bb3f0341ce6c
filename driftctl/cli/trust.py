"""The trust options of every command that verifies bundles, and the trust store they build."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.errors import InputError

if TYPE_CHECKING:
    from driftctl.bundle.trust import TrustStore

REVOKED = typer.Option(
    None,
    "--revoked",
    help="Revoked keys: an OpenSSH KRL (ssh-keygen -k) or public keys, one per line.",
)
ALLOW_WILDCARD = typer.Option(
    False,
    "--allow-wildcard-principals",
    help="Accept allowed_signers lines whose principals match every site (with a warning).",
)


def load_trust_store(trust: Path, revoked: Path | None, allow_wildcard: bool) -> TrustStore:
    """Read the trust store and revocation list (exit 2 on a bad file); warn about wildcards."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.bundle.revoked import load_revoked
    from driftctl.bundle.trust import load_trust

    revocations = load_revoked(revoked) if revoked is not None else None
    store = load_trust(trust, revocations, allow_wildcard)
    for line in store.wildcards:
        typer.echo(
            f"driftctl: warning: {line.where}: principals {line.principals!r} match every "
            "site: this one key can sign bundles for any site",
            err=True,
        )
    return store


def bundle_trust(
    bundles: bool, trust: Path | None, revoked: Path | None, allow_wildcard: bool
) -> TrustStore | None:
    """The trust store for BUNDLE arguments of ``diff``/``preflight``; None without bundles.

    ``--revoked`` without bundles is refused rather than ignored: stored bundles were checked
    when they were imported, and a silently unused revocation list would look like a check.
    """
    if not bundles:
        if revoked is not None:
            raise InputError(
                "--revoked checks BUNDLE arguments; bundles already in the store were checked "
                "when they were imported"
            )
        return None
    if trust is None:
        raise InputError("BUNDLE arguments need --trust ALLOWED_SIGNERS")
    return load_trust_store(trust, revoked, allow_wildcard)
