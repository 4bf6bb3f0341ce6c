"""CLI command ``diff``: cross-site drift over verified snapshots (docs/diff.md, docs/reports.md)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.cli.options import BASELINE, BUNDLE_TRUST, IGNORE, OUTPUT, SITES, STORE, format_option
from driftctl.cli.output import emit
from driftctl.cli.trust import ALLOW_WILDCARD, REVOKED, bundle_trust
from driftctl.errors import InputError
from driftctl.formats import Format
from driftctl.formats.escape import visible

if TYPE_CHECKING:
    from driftctl.bundle.trust import TrustStore
    from driftctl.diff import DiffReport, IgnoreFile
    from driftctl.snapshot import Snapshot

MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
log = logging.getLogger(__name__)


class FailOn(StrEnum):
    """The lowest severity that makes ``diff`` exit 1; ``never`` only reports."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"
    NEVER = "never"


Loaded = list[tuple[str, "Snapshot", int | None]]  # (site, snapshot, seq when known)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector off while snapshots are loaded and compared.

    Snapshots are trees (no cycles: reference counting frees them), yet every few thousand new
    containers the collector walks the young ones, and now and then all of them: at hundreds of
    sites that is seconds spent finding nothing (tests/bench/bench_scale.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _snapshot_files(paths: Sequence[Path]) -> list[tuple[str, Snapshot]]:
    """Plain ``snapshot.json`` files (unverified: for review at a site and for tests)."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.safeio import loads_json, read_capped
    from driftctl.snapshot import Snapshot

    out: list[tuple[str, Snapshot]] = []
    for path in paths:
        data = loads_json(read_capped(path, MAX_SNAPSHOT_BYTES), str(path))
        snap = Snapshot.from_dict(data, str(path))  # a hand-given file: a bad one is exit 2
        log.info("read %s: site %s (unverified snapshot)", path, snap.site)
        out.append((snap.site, snap))
    return out


def _load(
    store: Path | None,
    bundles: Sequence[Path],
    trust: TrustStore | None,
    sites: Sequence[str],
    snapshots: Sequence[Path],
    seqs: tuple[int | None, int | None],
) -> Iterable[tuple[str, Snapshot, int | None]]:
    """What to compare, in order; from the store, each snapshot is read when its turn comes."""
    if seqs != (None, None):
        if None in seqs or len(sites) != 1 or bundles or snapshots:
            raise InputError("--from/--to: give both, with exactly one --site and no bundles")
        from driftctl import inputs  # start-up time (cli/__init__.py)

        site = sites[0]
        return [
            (f"{site}@{seq}", inputs.site_history(store, site, seq).snapshot, seq)
            for seq in seqs
            if seq is not None
        ]
    if snapshots:
        if bundles:
            raise InputError("--snapshot: cannot be combined with bundle arguments")
        pairs = _snapshot_files(snapshots)
        known = [s for s, _ in pairs]
        for wanted in sites:
            if wanted not in known:
                raise InputError(f"--site: unknown site {wanted!r} (have: {', '.join(known)})")
        return [(s, snap, None) for s, snap in pairs if not sites or s in sites]
    from driftctl import inputs  # start-up time (cli/__init__.py)

    if bundles:
        found = inputs.latest_snapshots(None, bundles, trust, sites)
        return [(s.site, s.snapshot, s.seq) for s in found]
    return ((s.site, s.snapshot, s.seq) for s in inputs.stream_latest(store, sites))


def _report(
    loaded: Iterable[tuple[str, Snapshot, int | None]],
    rules: IgnoreFile,
    baseline: str | None,
    kept: Loaded | None,
) -> DiffReport:
    """Diff over snapshots; ``kept`` (for the HTML page) receives each one as it is read."""
    from driftctl.diff import diff_snapshots  # start-up time (cli/__init__.py)

    def flowing() -> Iterator[tuple[str, Snapshot]]:
        for name, snap, seq in loaded:
            if kept is not None:
                kept.append((name, snap, seq))
            yield name, snap

    with _gc_paused():
        stream = flowing()
        first = next(stream, None)
        if first is None:
            raise InputError(
                "no snapshots to compare (import bundles into the store, or pass some)"
            )
        return diff_snapshots(chain([first], stream), rules, baseline)


def _store_report(
    store: Path | None, sites: Sequence[str], rules: IgnoreFile, baseline: str | None
) -> DiffReport:
    """Diff over the store's latest bundles, from their facts indexes where they are usable."""
    from driftctl import inputs  # start-up time (cli/__init__.py)
    from driftctl.diff import diff_sites

    found = inputs.StoredFacts(store, sites)
    with _gc_paused():
        report = diff_sites(found, rules, baseline, found.snapshot_of)
    if not report.sites:
        raise InputError("no snapshots to compare (import bundles into the store, or pass some)")
    return report


def diff(
    bundles: list[Path] = typer.Argument(
        None,
        metavar="BUNDLE...",
        help="Bundles to compare (verified with --trust) instead of, or beside, the store.",
    ),
    store: Path | None = STORE,
    trust: Path | None = BUNDLE_TRUST,
    site: list[str] = SITES,
    baseline: str | None = BASELINE,
    ignore: Path | None = IGNORE,
    write_ignore: Path | None = typer.Option(
        None, "--write-ignore", help="Write today's differences as a starting ignore file."
    ),
    overwrite_ignore: bool = typer.Option(
        False, "--overwrite-ignore", help="Let --write-ignore replace an existing file."
    ),
    fmt: Format = format_option(Format.TABLE),
    fail_on: FailOn = typer.Option(
        FailOn.ERROR, "--fail-on", help="Exit 1 when a finding at or above this remains."
    ),
    output: Path | None = OUTPUT,
    from_seq: int | None = typer.Option(None, "--from", help="With --site: older bundle seq."),
    to_seq: int | None = typer.Option(None, "--to", help="With --site: newer bundle seq."),
    snapshot: list[Path] = typer.Option(
        [],
        "--snapshot",
        metavar="FILE",
        help="Unverified snapshot.json files to compare (review and tests).",
    ),
    revoked: Path | None = REVOKED,
    allow_wildcard: bool = ALLOW_WILDCARD,
) -> None:
    """Cross-site drift: every site against every other, or against --baseline."""
    # Start-up time (cli/__init__.py).
    from driftctl.diff import IgnoreFile, load_ignore
    from driftctl.diff.ignore import write_ignore as write_ignore_file
    from driftctl.diff.severity import threshold
    from driftctl.formats.diff import render
    from driftctl.snapshot import FindingKind

    rules = load_ignore(ignore) if ignore is not None else IgnoreFile()
    trust_store = bundle_trust(bool(bundles), trust, revoked, allow_wildcard)
    # The HTML page shows every snapshot's clocks and GPUs, so it keeps them; every other
    # format lets each snapshot go once it is flattened (one at a time from the store), and
    # over the store reads the facts indexes instead of the snapshots.
    kept: Loaded | None = [] if fmt is Format.HTML else None
    if kept is None and not bundles and not snapshot and from_seq is None and to_seq is None:
        report = _store_report(store, site, rules, baseline)
    else:
        loaded = _load(store, bundles or [], trust_store, site, snapshot, (from_seq, to_seq))
        report = _report(loaded, rules, baseline, kept)
    rank = threshold(fail_on.value)
    if kept is not None:
        from driftctl.cli.page import page_for  # start-up time: Jinja2 and the policy

        text = page_for(report, kept)
    else:
        text = render(report, fmt, rank)
    if write_ignore is not None:
        # First: a refused ignore file (it exists, it is a directory) leaves --output untouched.
        new = [(f.key, f.sites) for f in report.findings if f.kind is not FindingKind.UNKNOWN]
        written = write_ignore_file(write_ignore, rules, new, overwrite_ignore)
        typer.echo(f"wrote {written} ignore entries to {write_ignore}", err=True)
    emit(text, output)
    for rule in report.unused_rules:
        # A rule that ignores nothing is a typo or a fixed difference: either way, say so.
        typer.echo(visible(f"driftctl: warning: {ignore}: {rule} matched no difference"), err=True)
    typer.echo(report.summary_line(), err=True)
    if report.failing(rank):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("diff", short_help="Cross-site drift, or one site over time.")(diff)
