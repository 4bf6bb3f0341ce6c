"""CLI group ``store``: ``store check`` re-verifies what is stored, ``store prune`` trims it."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.cli.bundles import MAX_MB, _limits
from driftctl.cli.options import BUNDLE_TRUST, SITES, STORE
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, load_trust_store
from driftctl.errors import ExitCode
from driftctl.formats.escape import visible

app = typer.Typer(
    name="store",
    help="Check or trim the store of imported bundles (docs/store.md).",
    short_help="Check or prune the store of imported bundles.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("check", short_help="Re-verify everything stored.")
def check(
    trust: Path | None = BUNDLE_TRUST,
    store: Path | None = STORE,
    max_bundle_mb: int = MAX_MB,
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Re-verify every stored bundle, the hash chains, ledger and state; exit 4 on any problem.

    Without --trust, each bundle is checked against the signer it was imported under.
    """
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.bundle.revoked import load_revoked
    from driftctl.inputs import FACTS_INDEX, existing_store
    from driftctl.store.check import check_store

    root = existing_store(store)
    if trust is not None:
        trust_store = load_trust_store(trust, revoked, allow_wildcard)
        report = check_store(root, trust_store, _limits(max_bundle_mb), derived=[FACTS_INDEX])
    else:
        revocations = load_revoked(revoked) if revoked is not None else None
        report = check_store(root, None, _limits(max_bundle_mb), revocations, derived=[FACTS_INDEX])
    for problem in report.problems:
        typer.echo(visible(str(problem)))
    summary = (
        f"checked {_count(report.bundles, 'bundle')} ({report.pruned} pruned) of "
        f"{_count(report.sites, 'site')}: {_count(len(report.problems), 'problem')}"
    )
    typer.echo(summary, err=True)
    if report.problems:
        raise typer.Exit(int(ExitCode.REJECTED))


@app.command("prune", short_help="Keep the newest N bundles per site.")
def prune(
    keep: int = typer.Option(
        ..., "--keep", metavar="N", help="Bundles kept per site, newest first (>=1)."
    ),
    site: list[str] = SITES,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; remove nothing."),
    store: Path | None = STORE,
) -> None:
    """Keep the newest N bundles per site (never the latest); the ledger records each removal."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.inputs import existing_store
    from driftctl.store.prune import prune as run_prune

    removals = run_prune(existing_store(store), keep, site, dry_run)
    verb = "would prune" if dry_run else "pruned"
    for r in removals:
        typer.echo(visible(f"{verb} {r.site} seq {r.seq} ({r.size} bytes)"))
    total = sum(r.size for r in removals)
    typer.echo(
        f"{verb} {_count(len(removals), 'bundle')}, {total} bytes; kept {keep} per site", err=True
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def register(root: typer.Typer) -> None:
    """Add the ``store`` group to ``root``."""
    root.add_typer(app)
