"""CLI command ``collect``: one site into a signed bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from driftctl.errors import ExitCode, InputError


def _passphrase(passphrase_file: Path | None) -> str | None:
    if passphrase_file is not None:
        from driftctl.bundle.keys import read_passphrase

        return read_passphrase(passphrase_file)
    return os.environ.get("DRIFTCTL_KEY_PASSPHRASE")


def collect(
    config: Path = typer.Option(
        ..., "--config", "-c", help="Site config YAML (docs/site-config.md)."
    ),
    key: Path | None = typer.Option(
        None,
        "--key",
        "-k",
        envvar="DRIFTCTL_KEY",
        help="Site signing key (Ed25519, OpenSSH); a .pub file signs through ssh-agent.",
    ),
    from_dump: Path | None = typer.Option(
        None, "--from-dump", help="Read a dump directory instead of live sources."
    ),
    out_dir: Path = typer.Option(Path("."), "--out-dir", "-o", help="Where the bundle goes."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any target failed."),
    context: str | None = typer.Option(
        None, "--context", help="Kubernetes context (overrides the config)."
    ),
    fleet_key: Path | None = typer.Option(
        None, "--fleet-key", help="Fleet redaction key (64 hex); else $DRIFTCTL_FLEET_KEY."
    ),
    passphrase_file: Path | None = typer.Option(
        None, "--passphrase-file", help="Key passphrase file; else $DRIFTCTL_KEY_PASSPHRASE."
    ),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Where the per-site seq is kept [default: OUT_DIR/.driftctl-state].",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the redacted snapshot that would leave; write nothing."
    ),
) -> None:
    """Collect one site and write SITE-SEQ.tar.gz and its .sig; print their paths."""
    from driftctl.cli.progress import progress_for
    from driftctl.collect_job import run_collect, with_context
    from driftctl.config import load_site_config

    site_config = with_context(load_site_config(config), context)
    if key is None and not dry_run:
        raise InputError("collect: --key is required (or $DRIFTCTL_KEY), unless --dry-run")
    result = run_collect(
        site_config,
        key,
        out_dir,
        from_dump=from_dump,
        fleet_key=fleet_key,
        passphrase=_passphrase(passphrase_file),
        progress=progress_for(),
        state_dir=state_dir,
        dry_run=dry_run,
    )
    if dry_run:
        typer.echo(json.dumps(result.snapshot.to_dict(), indent=2, sort_keys=True))
    else:
        typer.echo(str(result.bundle))
        typer.echo(str(result.sig))
    snap = result.snapshot
    failures = result.failures
    typer.echo(
        f"collected {site_config.site}: {len(snap.workloads)} workloads, "
        f"{len(snap.helm)} helm releases, {len(snap.nodes)} nodes, "
        f"{len(failures)} failures, {result.redaction.get('total', 0)} values redacted",
        err=True,
    )
    for failure in failures:
        typer.echo(f"  failed: {failure.target} ({failure.collector}): {failure.error}", err=True)
    if strict and failures:
        raise typer.Exit(int(ExitCode.OPERATIONAL))


def register(app: typer.Typer) -> None:
    """Add ``collect`` to ``app``."""
    app.command("collect")(collect)
