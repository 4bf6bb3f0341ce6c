"""CLI command ``collect``: one site into a signed bundle."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from driftctl.cli.progress import progress_for
from driftctl.config import load_site_config
from driftctl.errors import ExitCode, InputError
from driftctl.formats.common import plural
from driftctl.formats.escape import dumps_json, visible


def _passphrase(passphrase_file: Path | None) -> str | None:
    if passphrase_file is not None:
        from driftctl.bundle.keys import read_passphrase  # start-up time: cryptography

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
    out_dir: Path = typer.Option(
        Path("."), "--out-dir", metavar="DIR", help="Where the bundle and its .sig go."
    ),
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
    from driftctl.collect_job import run_collect, with_context  # start-up time (cli/__init__.py)

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
        typer.echo(dumps_json(result.snapshot.to_dict(), sort_keys=True), nl=False)
    else:
        typer.echo(str(result.bundle))
        typer.echo(str(result.sig))
    snap = result.snapshot
    failures = result.failures
    counts = (
        plural(len(snap.workloads), "workload"),
        plural(len(snap.helm), "helm release"),
        plural(len(snap.nodes), "node"),
        plural(len(failures), "failure"),
        plural(result.redacted, "value"),
    )
    typer.echo(
        visible(f"collected {site_config.site}: {', '.join(counts[:4])}, {counts[4]} redacted"),
        err=True,
    )
    for failure in failures:
        # An API error body or a node's stderr is hostile text: one visible line each.
        typer.echo(
            "  failed: " + visible(f"{failure.target} ({failure.collector}): {failure.error}"),
            err=True,
        )
    if strict and failures:
        raise typer.Exit(int(ExitCode.OPERATIONAL))


def register(app: typer.Typer) -> None:
    """Add ``collect`` to ``app``."""
    app.command("collect", short_help="Collect one site into a signed bundle.")(collect)
