"""CLI commands on bundles and the store: ``inspect``, ``verify``, ``import``, ``sites``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.bundle.limits import Limits
from driftctl.cli.options import OUTPUT, STORE, TRUST, format_option
from driftctl.cli.output import emit
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, load_trust_store
from driftctl.errors import DriftctlError
from driftctl.formats.escape import dumps_json, visible

if TYPE_CHECKING:
    from driftctl.store.store import ImportResult

log = logging.getLogger(__name__)


class SitesFormat(StrEnum):
    """Formats of `sites` (docs/reports.md)."""

    table = "table"
    json = "json"


class InspectFormat(StrEnum):
    """Formats of `inspect` (docs/reports.md)."""

    table = "table"
    json = "json"
    html = "html"


def _limits(max_bundle_mb: int) -> Limits:
    return Limits(bundle_bytes=max_bundle_mb * 1024 * 1024)


MAX_MB = typer.Option(256, "--max-bundle-mb", min=1, help="Refuse bundles larger than this.")


def inspect(
    bundle: Path = typer.Argument(..., help="SITE-SEQ.tar.gz"),
    fmt: InspectFormat = format_option(InspectFormat.table),
    output: Path | None = OUTPUT,
    max_bundle_mb: int = MAX_MB,
) -> None:
    """Show everything a bundle carries out (every fact, the evidence files and their sizes,
    the redaction counts), read safely but UNVERIFIED: the review before it leaves the site."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.bundle.inspect import facts, inspect_bundle
    from driftctl.formats import inspect as view

    report = inspect_bundle(bundle, _limits(max_bundle_mb))
    if fmt is InspectFormat.json:
        text = view.render_json(report)
    elif fmt is InspectFormat.html:
        text = view.render_html(report, facts(report["snapshot"]))
    else:
        text = view.render_table(report, facts(report["snapshot"]))
    emit(text, output)
    typer.echo(
        "driftctl: UNVERIFIED: the signature was not checked (use driftctl verify)", err=True
    )


def verify(
    bundle: Path = typer.Argument(..., help="SITE-SEQ.tar.gz"),
    trust: Path = TRUST,
    sig: Path | None = typer.Option(None, "--sig", help="Signature [default: BUNDLE.sig]."),
    max_bundle_mb: int = MAX_MB,
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Verify a bundle (signature, signer, archive, manifest); changes nothing."""
    from driftctl.bundle.verify import verify_bundle  # start-up time (cli/__init__.py)

    trust_store = load_trust_store(trust, revoked, allow_wildcard)
    vb = verify_bundle(bundle, trust_store, sig=sig, limits=_limits(max_bundle_mb))
    typer.echo(visible(f"OK site={vb.site} seq={vb.seq} signer={vb.signer_fingerprint}"))


def import_(
    bundles: list[Path] = typer.Argument(
        ..., metavar="BUNDLE...", help="Bundles (their .sig beside them)."
    ),
    trust: Path = TRUST,
    store: Path | None = STORE,
    max_bundle_mb: int = MAX_MB,
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Verify and store bundles, older ones as history; one already stored is a no-op.

    The exit code is the worst of the bundles'.
    """
    # Start-up time (cli/__init__.py).
    from driftctl.inputs import FACTS_INDEX, default_store
    from driftctl.store.layout import check_root
    from driftctl.store.store import Store, import_bundle

    trust_store = load_trust_store(trust, revoked, allow_wildcard)
    root = store if store is not None else default_store()
    check_root(root, must_exist=False)  # one line for a bad --store, not one per bundle
    target = Store(root)
    limits = _limits(max_bundle_mb)
    worst = 0
    for bundle in bundles:
        log.info("importing %s into %s", bundle, target.root)
        try:
            result = import_bundle(
                target, bundle, trust_store, limits=limits, derived=[FACTS_INDEX]
            )
        except DriftctlError as exc:
            typer.echo(f"driftctl: error: {visible(exc)}", err=True)
            worst = max(worst, int(exc.exit_code))
            continue
        typer.echo(visible(_import_line(result)))
        if result.gap:
            typer.echo(visible(f"driftctl: warning: {result.site}: {result.gap}"), err=True)
    if worst:
        raise typer.Exit(worst)


def _import_line(result: ImportResult) -> str:
    line = f"{result.status} {result.site} seq {result.seq}"
    if result.gap:
        return f"{line} (gap: {result.gap})"
    if result.status == "imported as history":
        links = " and ".join(f"seq {n}" for n in result.links)
        return f"{line} ({'linked to ' + links if links else 'no stored neighbour yet'})"
    if result.pruned:
        return f"{line} (pruned since)"
    return line


def _age(collected_at: str, now: datetime) -> tuple[int | None, str]:
    try:
        then = datetime.fromisoformat(collected_at.replace("Z", "+00:00"))
    except ValueError:
        return None, "?"
    seconds = int((now - then).total_seconds())
    if seconds < 3600:
        return seconds, f"{max(seconds, 0) // 60}m"
    if seconds < 86400 * 2:
        return seconds, f"{seconds // 3600}h"
    return seconds, f"{seconds // 86400}d"


def _ranges(spans: list[tuple[int, int]]) -> str:
    """``[(2, 4), (7, 7)]`` as ``seq 2..4, 7``; ``-`` for none."""
    parts = [str(a) if a == b else f"{a}..{b}" for a, b in spans]
    return f"seq {', '.join(parts)}" if parts else "-"


def _spans(seqs: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for seq in sorted(seqs):
        if spans and seq == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], seq)
        else:
            spans.append((seq, seq))
    return spans


def _short(fingerprint: str) -> str:
    """Enough of a key fingerprint to tell keys apart at a glance; JSON has it whole."""
    return fingerprint if len(fingerprint) <= 19 else f"{fingerprint[:18]}…"


def sites(
    store: Path | None = STORE,
    fmt: SitesFormat = format_option(SitesFormat.table),
) -> None:
    """Per site: latest seq, age, history, signer, gaps still open and gaps history filled."""
    # Start-up time (cli/__init__.py).
    from tabulate import tabulate

    from driftctl.inputs import existing_store
    from driftctl.store.store import Store

    root = existing_store(store)
    target = Store(root)
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []  # the JSON form
    table: list[list[object]] = []
    with target.reading():
        states, filled = target.sites(), target.filled()
    for state in states:
        latest = state.latest
        seconds, age = _age(latest.collected_at, now)
        seqs = sorted(filled.get(state.site, ()))
        rows.append(
            {
                "site": state.site,
                "seq": latest.seq,
                "collected_at": latest.collected_at,
                "age_seconds": seconds,
                "age": age,
                "imported_at": latest.imported_at,
                "sha256": latest.sha256,
                "signer": latest.signer,
                "signers": list(state.signers),
                "bundles": state.count,
                "history": state.history,
                "pruned": state.pruned,
                "gaps": list(state.gaps),
                "filled": seqs,
            }
        )
        more = f" +{len(state.signers) - 1}" if len(state.signers) > 1 else ""
        table.append(
            [
                visible(state.site),
                latest.seq,
                visible(latest.collected_at),
                age,
                state.history,
                _short(latest.signer) + more,
                _ranges([(a, b) for a, b, _ in state.spans]),
                _ranges(_spans(seqs)),
            ]
        )
    if fmt is SitesFormat.json:
        typer.echo(dumps_json({"sites": rows}, sort_keys=True), nl=False)
        return
    if not rows:
        typer.echo(visible(f"no sites imported in {root}"))
        return
    headers = ["site", "seq", "collected_at", "age", "history", "signer", "gaps", "filled"]
    typer.echo(tabulate(table, headers=headers))


def register(app: typer.Typer) -> None:
    """Add ``inspect``, ``verify``, ``import`` and ``sites`` to ``app``."""
    app.command("inspect", short_help="Show what a bundle carries out, UNVERIFIED.")(inspect)
    app.command("verify", short_help="Verify a bundle; change nothing.")(verify)
    app.command("import", short_help="Verify bundles and add them to the store.")(import_)
    app.command("sites", short_help="Per site: latest seq, age, history, signer, gaps.")(sites)
