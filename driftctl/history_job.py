"""``driftctl history``: a site's stored bundles read oldest first, joined to the fleet's drift.

Reading and parsing each stored snapshot is most of the cost (a strict JSON parse of every one);
comparing is a few milliseconds a bundle. So on a machine with more than one CPU the bundles are
cut into runs of consecutive bundles that worker processes make into ``Pair``s (only the facts
that differ), and the parent applies them in seq order: the answer is the one a single process
gives (``--jobs 1``), byte for byte.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from driftctl.diff import IgnoreFile, diff_snapshots
from driftctl.diff.history import Gap, HistoryReport, build, key_filter, origins, parse_since
from driftctl.diff.pairs import Pair, PairReader
from driftctl.diff.timeline import Timeline
from driftctl.errors import DriftctlError, InputError
from driftctl.inputs import existing_store, stored_snapshot
from driftctl.snapshot import Snapshot
from driftctl.store.layout import entries, read_snapshot
from driftctl.store.store import Store

log = logging.getLogger(__name__)

PARALLEL_FROM = 24  # bundles; fewer are read faster than worker processes start
MAX_WORKERS = 4
RUN_TIMEOUT = 3600.0  # seconds a worker may take for its run (local files: never reached)


def gaps_between(held: dict[int, bool], after: int, seq: int) -> tuple[Gap, ...]:
    """The seqs strictly between ``after`` and ``seq``, as runs never imported or pruned since
    (``held``: every seq the store knows, True when still stored)."""
    out: list[Gap] = []
    for n in range(after + 1, seq):
        pruned = n in held  # known but not stored here: its meta.json outlived its bundle
        if out and out[-1].last == n - 1 and out[-1].pruned == pruned:
            out[-1] = Gap(out[-1].first, n, pruned)
        else:
            out.append(Gap(n, n, pruned))
    return tuple(out)


def _run(root: Path, site: str, seqs: Sequence[int], before: int | None) -> Iterator[Pair]:
    """The pairs of consecutive stored bundles ``seqs``, the first compared with ``before``."""
    reader = PairReader(site)
    if before is not None:
        reader.start(before, read_snapshot(root, site, before))
    for seq in seqs:
        yield reader.pair(seq, read_snapshot(root, site, seq))


def _run_in_worker(
    root: Path, site: str, seqs: Sequence[int], before: int | None
) -> list[Pair] | DriftctlError:
    try:
        return list(_run(root, site, seqs, before))
    except DriftctlError as exc:  # raised by the parent, in seq order
        return exc


def workers(bundles: int, jobs: int | None) -> int:
    """How many processes read ``bundles`` bundles: ``jobs`` if given, else one per CPU (up to
    ``MAX_WORKERS``) when there are enough bundles for it to pay; 1 means no worker at all."""
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs: {jobs} is below 1")
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs is not None:
        return min(jobs, max(1, bundles))
    if bundles < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS))


@contextmanager
def pairs(root: Path, site: str, seqs: Sequence[int], jobs: int = 1) -> Iterator[Iterator[Pair]]:
    """Every stored bundle's pair, in seq order; with ``jobs`` above 1 the worker processes
    start reading on entry, so the caller can do other work before it takes the pairs."""
    if jobs == 1:
        yield _run(root, site, seqs, None)
        return
    # Two runs per worker: one slowed by other load on the machine holds the rest up less (each
    # run reads one bundle more, the one before it).
    size = math.ceil(len(seqs) / (2 * jobs))
    runs = [(seqs[i : i + size], seqs[i - 1] if i else None) for i in range(0, len(seqs), size)]
    log.debug("%s: %d bundles in %d runs of %d worker processes", site, len(seqs), len(runs), jobs)
    # fork: the workers inherit the parent's open store lock and need no imports of their own.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(min(jobs, len(runs)), mp_context=context)
    try:
        futures = [pool.submit(_run_in_worker, root, site, run, before) for run, before in runs]
        yield _results(futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _results(futures: list[Future[list[Pair] | DriftctlError]]) -> Iterator[Pair]:
    for future in futures:
        result = future.result(timeout=RUN_TIMEOUT)
        if isinstance(result, DriftctlError):
            raise result
        yield from result


def site_history(
    store: Path | None,
    site: str,
    key: str | None = None,
    since: str | None = None,
    ignore: IgnoreFile | None = None,
    jobs: int | None = None,
) -> HistoryReport:
    """Every stored bundle of ``site`` compared with the one before; then the fleet's current
    diff (the latest bundle of each site), each finding at ``site`` dated by the timeline.

    The whole read happens under the store's shared lock, so an import cannot slip a bundle in
    between the timeline and the diff.
    """
    key_filter(key)  # bad filters are bad input before anything is read
    if since is not None:
        parse_since(since)
    workers(0, jobs)
    root = existing_store(store)
    target = Store(root)
    with target.reading():
        states = {state.site: state for state in target.sites()}
        if not states:
            raise InputError(f"{root}: no bundles in the store (import some first)")
        if site not in states:  # also keeps a hostile name from becoming a path
            have = ", ".join(sorted(states))
            raise InputError(f"--site {site}: no such site in {root} (have: {have})")
        found = entries(root, site)
        held = {e.seq: e.stored for e in found}
        stored = [e for e in found if e.stored]
        timeline = Timeline(site)
        steps = []
        after = 0
        seqs = [e.seq for e in stored]
        with pairs(root, site, seqs, workers(len(stored), jobs)) as stream:
            # The fleet's drift first: worker processes, if any, are reading meanwhile.
            fleet: list[tuple[str, Snapshot]] = [
                (name, stored_snapshot(root, name, state.latest.seq))
                for name, state in sorted(states.items())
            ]
            report = diff_snapshots(fleet, ignore)
            del fleet
            for entry, pair in zip(stored, stream, strict=True):
                gaps = gaps_between(held, after, entry.seq)
                steps.append(timeline.apply(pair, entry.collected_at, entry.sha256, gaps))
                after = entry.seq
    drift = origins(site, report, timeline.since, steps[0])
    log.info("%s: %d bundles, %d drift findings at the site", site, len(steps), len(drift))
    return build(site, steps, drift, report.sites, key, since)
