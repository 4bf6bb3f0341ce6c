"""CLI command ``history``: one site's timeline, bundle by bundle (docs/store.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.cli.options import IGNORE, OUTPUT, STORE, format_option
from driftctl.formats import HistoryFormat


def history(
    site: str = typer.Option(..., "--site", "-s", metavar="SITE", help="The site to show."),
    key: str | None = typer.Option(
        None,
        "--key",
        metavar="GLOB",
        help="Only facts whose path matches, e.g. 'helm.*.values.*' (globs as in ignore files).",
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        metavar="DATE",
        help="Only bundles collected from DATE on (2026-11-02 or 2026-11-02T08:00:00Z).",
    ),
    fmt: HistoryFormat = format_option(HistoryFormat.TABLE),
    store: Path | None = STORE,
    ignore: Path | None = IGNORE,
    output: Path | None = OUTPUT,
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        metavar="N",
        help="Processes reading the bundles [default: one per CPU, up to 4; 1: this one only].",
    ),
) -> None:
    """For each stored bundle of a site, oldest first, what changed since the one before (fact
    paths, old -> new); then each drift the site shows now, and the bundle it appeared in."""
    # Start-up time (cli/__init__.py).
    from driftctl.cli.output import emit
    from driftctl.diff import IgnoreFile, load_ignore
    from driftctl.formats.common import plural
    from driftctl.formats.history import render
    from driftctl.history_job import site_history

    rules = load_ignore(ignore) if ignore is not None else IgnoreFile()
    report = site_history(store, site, key, since, rules, jobs)
    emit(render(report, fmt), output)
    changes = sum(len(s.changes) for s in report.steps)
    typer.echo(
        f"{site}: {plural(len(report.steps), 'bundle')} shown of {report.bundles}, "
        f"{plural(changes, 'change')}, {plural(len(report.drift), 'drift finding')}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``history`` to ``app``."""
    app.command("history", short_help="One site's timeline: what changed, bundle by bundle.")(
        history
    )
