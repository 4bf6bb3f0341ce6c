"""CLI command ``preflight``: per-site verdict of a planned release against the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.cli import release_input as ri
from driftctl.cli.options import BUNDLE_TRUST, OUTPUT, SITES, STORE, format_option
from driftctl.cli.output import emit
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, bundle_trust
from driftctl.errors import ExitCode, InputError
from driftctl.formats import Format
from driftctl.formats.common import plural

if TYPE_CHECKING:
    from driftctl.inputs import SiteSnapshot
    from driftctl.policy.model import Policy, PreflightReport


@dataclass(frozen=True)
class Judged:
    """A preflight with what it rests on: the policy and the snapshots (for the HTML page)."""

    report: PreflightReport
    policy: Policy
    snapshots: tuple[SiteSnapshot, ...]


def judge(
    release: ri.ReleaseOptions,
    policy: Path | None,
    store: Path | None,
    bundles: Sequence[Path],
    trust: Path | None,
    sites: Sequence[str],
    max_age: str,
    allow_stale: bool,
    revoked: Path | None = None,
    allow_wildcard: bool = False,
    allow_unknown: bool = False,
    command: str = "preflight",
) -> Judged:
    """Load the inputs (exit 2 first), then the snapshots (bundles may be rejected: exit 4),
    then render what is rendered per site (a chart), then judge."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.inputs import latest_snapshots
    from driftctl.policy.evaluate import evaluate, parse_duration
    from driftctl.policy.load import load_policy

    age = parse_duration(max_age)
    rules = load_policy(policy)
    prepared = ri.prepare(release)
    if bundles and trust is None:
        raise InputError(f"{command}: BUNDLE arguments need --trust ALLOWED_SIGNERS")
    trust_store = bundle_trust(bool(bundles), trust, revoked, allow_wildcard)
    # No site filter here: a requested site without a snapshot must block, not error out.
    snapshots = latest_snapshots(None if bundles else store, bundles=bundles, trust=trust_store)
    planned = ri.release_for(prepared, snapshots, sites)
    report = evaluate(
        rules,
        planned,
        snapshots,
        sites=sites,
        max_age=age,
        allow_stale=allow_stale,
        allow_unknown=allow_unknown,
        now=datetime.now(UTC),
    )
    return Judged(report, rules, tuple(snapshots))


def summary_line(judged: Judged) -> str:
    """The stderr line after the report."""
    report = judged.report
    counts = report.counts()
    findings = sum(len(s.findings) for s in report.sites)
    return (
        f"preflight {report.release}: {report.verdict} — {plural(len(report.sites), 'site')} "
        f"({counts['block']} block, {counts['warn']} warn, {counts['pass']} pass), "
        f"{plural(len(judged.policy.rules), 'rule')}, {plural(findings, 'finding')}"
    )


def preflight(
    bundles: list[Path] = typer.Argument(
        None,
        metavar="BUNDLE...",
        help="Bundles to judge instead of the store (verified with --trust).",
    ),
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
    max_age: str = ri.max_age_option(),
    allow_stale: bool = ri.allow_stale_option(),
    allow_unknown: bool = ri.allow_unknown_option(),
    fmt: Format = format_option(Format.TABLE),
    output: Path | None = OUTPUT,
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Judge a release at every site: exit 0 pass/warn, 1 blocked somewhere, 2 bad input."""
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
    )
    if fmt is Format.HTML:
        from driftctl.cli.page import page_for  # start-up time: Jinja2 and the policy

        snapshots = [(s.site, s.snapshot, s.seq) for s in judged.snapshots]
        text = page_for(None, snapshots, (judged.report, judged.policy))
    else:
        from driftctl.formats.preflight import render  # start-up time (cli/__init__.py)

        text = render(judged.report, fmt)
    emit(text, output)
    typer.echo(summary_line(judged), err=True)
    if judged.report.verdict == "block":
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to ``app``."""
    app.command("preflight", short_help="Judge a planned release at every site.")(preflight)
