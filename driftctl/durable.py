"""Durable file steps for the store and the collector, and the test-only crash hook between them."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable
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


def write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` (never replacing a file) with ``data``, flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
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
