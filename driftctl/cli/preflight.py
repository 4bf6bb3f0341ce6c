"""CLI command ``preflight``: per-site verdict of a planned release against the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.cli.release_input import (
    allow_stale_option,
    load_planned,
    max_age_option,
    policy_option,
    release_option,
)
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, bundle_trust
from driftctl.errors import ExitCode, InputError
from driftctl.formats import Format

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
    release: Path,
    policy: Path | None,
    store: Path | None,
    bundles: Sequence[Path],
    trust: Path | None,
    sites: Sequence[str],
    max_age: str,
    allow_stale: bool,
    revoked: Path | None = None,
    allow_wildcard: bool = False,
) -> Judged:
    """Load the inputs (exit 2 first), then the snapshots (bundles may be rejected: exit 4)."""
    from driftctl.inputs import latest_snapshots
    from driftctl.policy.evaluate import evaluate, parse_duration
    from driftctl.policy.load import load_policy

    age = parse_duration(max_age)
    rules = load_policy(policy)
    planned = load_planned(release)
    if bundles and trust is None:
        raise InputError("preflight: BUNDLE arguments need --trust ALLOWED_SIGNERS")
    trust_store = bundle_trust(bool(bundles), trust, revoked, allow_wildcard)
    # No site filter here: a requested site without a snapshot must block, not error out.
    snapshots = latest_snapshots(None if bundles else store, bundles=bundles, trust=trust_store)
    report = evaluate(
        rules,
        planned,
        snapshots,
        sites=sites,
        max_age=age,
        allow_stale=allow_stale,
        now=datetime.now(UTC),
    )
    return Judged(report, rules, tuple(snapshots))


def summary_line(judged: Judged) -> str:
    """The stderr line after the report."""
    from driftctl.formats.common import plural

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
        metavar="BUNDLE",
        help="Bundles to judge instead of the store (verified with --trust).",
    ),
    release: Path = release_option(required=True),
    policy: Path | None = policy_option(),
    store: Path | None = typer.Option(
        None, "--store", envvar="DRIFTCTL_STORE", help="Store directory [default: per-user]."
    ),
    trust: Path | None = typer.Option(
        None, "--trust", help="allowed_signers file, to verify BUNDLE arguments."
    ),
    site: list[str] = typer.Option(
        [], "--site", "-s", metavar="SITE", help="Only these sites (repeatable)."
    ),
    max_age: str = max_age_option(),
    allow_stale: bool = allow_stale_option(),
    fmt: Format = typer.Option(
        Format.TABLE, "--format", "-f", help="Report format: table, json, markdown, junit, html."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Judge a release at every site: exit 0 pass/warn, 1 blocked somewhere, 2 bad input."""
    from driftctl.cli.output import emit

    judged = judge(
        release,
        policy,
        store,
        bundles or (),
        trust,
        site,
        max_age,
        allow_stale,
        revoked,
        allow_wildcard,
    )
    if fmt is Format.HTML:
        from driftctl.cli.report import page_for

        text = page_for(None, judged, [(s.site, s.snapshot, s.seq) for s in judged.snapshots])
    else:
        from driftctl.formats.preflight import render

        text = render(judged.report, fmt)
    emit(text, output)
    typer.echo(summary_line(judged), err=True)
    if judged.report.verdict == "block":
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to ``app``."""
    app.command("preflight", short_help="Judge a planned release at every site.")(preflight)
