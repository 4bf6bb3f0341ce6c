"""CLI command ``preflight``: per-site verdict of a planned release against the policy (§8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, bundle_trust
from driftctl.errors import ExitCode, InputError
from driftctl.formats import Format


def preflight(
    bundles: list[Path] = typer.Argument(
        None,
        metavar="BUNDLE",
        help="Bundles to judge instead of the store (verified with --trust).",
    ),
    release: Path = typer.Option(..., "--release", "-r", help="The planned push (YAML, §8)."),
    policy: Path | None = typer.Option(
        None, "--policy", "-p", help="Policy YAML [default: the packaged compat.yaml]."
    ),
    store: Path | None = typer.Option(
        None, "--store", envvar="DRIFTCTL_STORE", help="Store directory [default: per-user]."
    ),
    trust: Path | None = typer.Option(
        None, "--trust", help="allowed_signers file, to verify BUNDLE arguments."
    ),
    site: list[str] = typer.Option(
        [], "--site", "-s", metavar="SITE", help="Only these sites (repeatable)."
    ),
    max_age: str = typer.Option(
        "14d", "--max-age", metavar="DURATION", help="Oldest snapshot vouched for: 14d, 36h, 90m."
    ),
    allow_stale: bool = typer.Option(
        False, "--allow-stale", help="A stale or missing snapshot warns instead of blocking."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="Report format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Judge a release at every site: exit 0 pass/warn, 1 blocked somewhere, 2 bad input."""
    from driftctl.formats.preflight import render
    from driftctl.policy.evaluate import evaluate, parse_duration
    from driftctl.policy.load import load_policy
    from driftctl.policy.release import load_release

    # Inputs first (exit 2), then snapshots (bundles may be rejected: exit 4).
    age = parse_duration(max_age)
    rules = load_policy(policy)
    planned = load_release(release)
    if bundles and trust is None:
        raise InputError("preflight: BUNDLE arguments need --trust ALLOWED_SIGNERS")
    trust_store = bundle_trust(bool(bundles), trust, revoked, allow_wildcard)
    from driftctl.inputs import latest_snapshots

    # No site filter here: a requested site without a snapshot must block (§8), not error out.
    snapshots = latest_snapshots(
        None if bundles else store, bundles=bundles or (), trust=trust_store
    )
    report = evaluate(
        rules,
        planned,
        snapshots,
        sites=site,
        max_age=age,
        allow_stale=allow_stale,
        now=datetime.now(UTC),
    )
    text = render(report, fmt)
    if output is not None:
        from driftctl.safeio import write_output

        write_output(output, text.encode())
    else:
        typer.echo(text, nl=False)
    counts = report.counts()
    findings = sum(len(s.findings) for s in report.sites)
    typer.echo(
        f"preflight {report.release}: {report.verdict} — {len(report.sites)} sites "
        f"({counts['block']} block, {counts['warn']} warn, {counts['pass']} pass), "
        f"{len(rules.rules)} rules, {findings} findings",
        err=True,
    )
    if report.verdict == "block":
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to ``app``."""
    app.command("preflight")(preflight)
