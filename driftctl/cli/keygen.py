"""CLI command ``keygen``: a site's Ed25519 signing key and its ``allowed_signers`` line."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.bundle import NAMESPACE
from driftctl.dump_layout import SITE_ID_PATTERN
from driftctl.errors import InputError


def keygen(
    site: str = typer.Option(
        ..., "--site", "-s", metavar="SITE", help=f"Site id ({SITE_ID_PATTERN})."
    ),
    out_dir: Path = typer.Option(
        Path("."), "--out-dir", metavar="DIR", help="Where the key pair goes."
    ),
    passphrase_file: Path | None = typer.Option(
        None, "--passphrase-file", help="Protect the private key with the passphrase in this file."
    ),
) -> None:
    """Write SITE_ed25519 (0600) and .pub; print the allowed_signers line and the fingerprint."""
    # Start-up time: cryptography loads when a key is made.
    from driftctl.bundle.keys import check_site, generate_key, load_private_key, read_passphrase

    check_site(site)
    passphrase = None
    if passphrase_file is not None:
        passphrase = read_passphrase(passphrase_file)
        if not passphrase:
            raise InputError(f"{passphrase_file}: empty passphrase")
    private, public = generate_key(site, out_dir, passphrase)
    key = load_private_key(private, passphrase)
    typer.echo(f'{site} namespaces="{NAMESPACE}" {key.public_line()}')
    typer.echo(f"# {key.fingerprint()} private key {private}, public key {public}")


def register(app: typer.Typer) -> None:
    """Add ``keygen`` to ``app``."""
    app.command("keygen", short_help="Make a site's Ed25519 signing key pair.")(keygen)
