"""The store lock: writers exclusive, readers shared, and both repair what a crash left first."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from driftctl.durable import replace_file
from driftctl.errors import OperationalError
from driftctl.safeio import dumps_canonical
from driftctl.store.commit import Completed, needs_recovery, recover, refresh_state
from driftctl.store.layout import LOCK, MARKER, STORE_SCHEMA, check_root, site_names


def _open_lock(root: Path, write: bool) -> int | None:
    try:
        return os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if write:
            raise OperationalError(f"{root}: cannot open store: {exc.strerror}") from None
    try:  # a read-only copy of a store is still readable
        return os.open(root / LOCK, os.O_RDONLY)
    except OSError:
        return None


@contextmanager
def exclusive(root: Path) -> Iterator[list[Completed]]:
    """The writer's lock: the store created or adopted, and the last operation finished first."""
    check_root(root, must_exist=False)  # before the lock file: never litter a foreign directory
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OperationalError(f"{root}: cannot create the store: {exc.strerror}") from None
    fd = _open_lock(root, write=True)
    assert fd is not None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        check_root(root, must_exist=True)
        try:
            _ensure_marker(root)
            yield recover(root)
        except OSError as exc:
            raise OperationalError(f"{root}: store write failed: {exc.strerror}") from None
    finally:
        os.close(fd)


@contextmanager
def shared(root: Path) -> Iterator[None]:
    """The reader's lock; leftovers of a crash are repaired first, under the exclusive lock."""
    check_root(root, must_exist=True)
    fd = _open_lock(root, write=False)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)
        if needs_recovery(root):
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if needs_recovery(root):  # another reader may have repaired it meanwhile
                    recover(root)
            except OSError as exc:
                raise OperationalError(
                    f"{root}: an interrupted operation needs repair and the repair failed: "
                    f"{exc.strerror}"
                ) from None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _ensure_marker(root: Path) -> None:
    """Write ``store.json``; a store from before the marker gets its state files refreshed."""
    if (root / MARKER).exists():
        return
    for site in site_names(root):  # the marker last: a crash here redoes the refresh
        refresh_state(root, site)
    replace_file(root / MARKER, dumps_canonical({"schema": STORE_SCHEMA}), "store:marker")
