"""Durable file steps for the store and the collector, and the test-only crash hook between them."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

# Test-only: ``DRIFTCTL_TEST_CRASH_AT=STEP`` (or ``STEP@N`` for its Nth hit) SIGKILLs the process
# when it reaches that durable step, so tests can prove that the next command repairs any prefix
# of an operation. ``DRIFTCTL_TEST_CRASH_TRACE=FILE`` appends every step reached, one per line,
# so a test can enumerate the steps instead of trusting a hand-kept list. Unset (always, outside
# the tests), the hook reads two environment variables and does nothing else.
CRASH_ENV = "DRIFTCTL_TEST_CRASH_AT"
TRACE_ENV = "DRIFTCTL_TEST_CRASH_TRACE"
_hits: dict[str, int] = {}


def crash_point(step: str, before: Callable[[], object] | None = None) -> None:
    """Test-only hook at a durable step: inert unless ``DRIFTCTL_TEST_CRASH_AT`` names ``step``.

    ``before`` runs just before the kill; a test uses it to leave a torn write behind.
    """
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(step + "\n")
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != step:
        return
    _hits[step] = _hits.get(step, 0) + 1
    if _hits[step] == (int(nth) if nth.isdigit() else 1):
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (creations, renames, removals) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_paths(paths: Sequence[Path]) -> None:
    """Make files and directories durable together; all of them are when this returns.

    The fsyncs run on one thread each, so the filesystem journal commits them as one group: on
    a busy disk six files took 36–46 ms one after another and 9–11 ms together.
    """
    fds = [os.open(path, os.O_RDONLY) for path in paths]
    errors: list[OSError] = []

    def sync(fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=sync, args=(fd,)) for fd in fds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for fd in fds:
            os.close(fd)
    if errors:
        raise errors[0]


def write_new(path: Path, data: bytes, mode: int = 0o644, sync: bool = True) -> None:
    """Create ``path`` (never replacing a file) with ``data``; flushed to disk unless ``sync`` is
    False (the caller then makes it durable with ``fsync_paths``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        if sync:
            os.fsync(fh.fileno())


def replace_file(path: Path, data: bytes, step: str, mode: int = 0o644) -> None:
    """Replace ``path`` atomically (temp file, fsync, rename, fsync dir); ``step`` names the hook.

    A crash leaves the old file and at most a ``.NAME.*.tmp`` beside it, which the owner of the
    directory removes on its next run.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        crash_point(f"{step}:tmp-written")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove_temps(directory: Path, pattern: str) -> list[Path]:
    """Remove the files matching ``pattern`` in ``directory`` (leftovers of interrupted writes)."""
    removed = []
    for path in directory.glob(pattern):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
