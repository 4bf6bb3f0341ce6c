"""CLI command ``report``: one self-contained HTML page of fleet drift and, given a release, its
preflight (the page itself is put together in ``page.py``)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.cli import release_input as ri
from driftctl.cli.options import BASELINE, BUNDLE_TRUST, IGNORE, SITES, STORE
from driftctl.cli.preflight import judge, summary_line
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, bundle_trust
from driftctl.errors import ExitCode, InputError
from driftctl.safeio import write_output


def report(
    bundles: list[Path] = typer.Argument(
        None, metavar="BUNDLE...", help="Bundles instead of the store (verified with --trust)."
    ),
    html: Path = typer.Option(..., "--html", metavar="FILE", help="Write the page here."),
    release: Path | None = ri.release_option(),
    manifests: str | None = ri.manifests_option(),
    manifests_dir: Path | None = ri.manifests_dir_option(),
    chart: Path | None = ri.chart_option(),
    values: list[Path] = ri.values_option(),
    site_values: Path | None = ri.site_values_option(),
    release_name: str | None = ri.release_name_option(),
    namespace: str | None = ri.namespace_option(),
    helm: str | None = ri.helm_option(),
    helm_timeout: float = ri.helm_timeout_option(),
    policy: Path | None = ri.policy_option(),
    store: Path | None = STORE,
    trust: Path | None = BUNDLE_TRUST,
    site: list[str] = SITES,
    baseline: str | None = BASELINE,
    ignore: Path | None = IGNORE,
    max_age: str = ri.max_age_option(),
    allow_stale: bool = ri.allow_stale_option(),
    allow_unknown: bool = ri.allow_unknown_option(),
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """One self-contained HTML page: the fleet's drift, and the preflight of --release."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.cli.page import page_for
    from driftctl.diff import IgnoreFile, diff_snapshots, load_ignore
    from driftctl.inputs import latest_snapshots

    rules = load_ignore(ignore) if ignore is not None else IgnoreFile()
    if bundles and trust is None:
        raise InputError("report: BUNDLE arguments need --trust ALLOWED_SIGNERS")
    judged = None
    options = ri.ReleaseOptions(
        release,
        manifests,
        manifests_dir,
        chart,
        values,
        site_values,
        release_name,
        namespace,
        helm,
        helm_timeout,
    )
    if options.given:
        judged = judge(
            options,
            policy,
            store,
            bundles or (),
            trust,
            site,
            max_age,
            allow_stale,
            revoked,
            allow_wildcard,
            allow_unknown,
            command="report",
        )
        found = [s for s in judged.snapshots if not site or s.site in site]
    else:
        trust_store = bundle_trust(bool(bundles), trust, revoked, allow_wildcard)
        found = latest_snapshots(None if bundles else store, bundles or (), trust_store, site)
    if not found:
        raise InputError("no snapshots to report on (import bundles into the store, or pass some)")
    diff = diff_snapshots([(s.site, s.snapshot) for s in found], rules, baseline)
    text = page_for(
        diff,
        [(s.site, s.snapshot, s.seq) for s in found],
        (judged.report, judged.policy) if judged else None,
        policy,
    )
    write_output(html, text.encode("utf-8"))
    typer.echo(f"wrote {html} ({len(text.encode()) // 1024 + 1} KiB)", err=True)
    typer.echo(diff.summary_line(), err=True)
    if judged is not None:
        typer.echo(summary_line(judged), err=True)
        if judged.report.verdict == "block":
            raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""
    app.command("report", short_help="Write one HTML page: fleet drift and preflight.")(report)
