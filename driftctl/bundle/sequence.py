"""The collector's per-site sequence state: next ``seq`` and the previous bundle's sha256."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from driftctl.bundle import SHA256_HEX
from driftctl.errors import InputError, OperationalError
from driftctl.safeio import atomic_write, dumps_canonical, expect_mapping, loads_json, read_capped


@dataclass(frozen=True)
class SeqState:
    """What the collector remembers about a site's last bundle."""

    site: str
    seq: int
    prev_sha256: str | None


def state_path(state_dir: Path, site: str) -> Path:
    return state_dir / f"{site}.json"


def read_state(state_dir: Path, site: str) -> SeqState:
    """The last written bundle of ``site`` (seq 0 when none); OperationalError on a broken file."""
    path = state_path(state_dir, site)
    if not path.exists():
        return SeqState(site, 0, None)
    try:
        data = expect_mapping(loads_json(read_capped(path, 64 * 1024), str(path)), str(path))
    except InputError as exc:  # a damaged state must stop the collector, never reset seq
        raise OperationalError(
            f"{path}: unreadable sequence state ({exc}); fix or remove it"
        ) from None
    seq, sha = data.get("seq"), data.get("sha256")
    # A bad sha256 here would be signed into the next manifest as prev_sha256: refuse it now.
    if (
        isinstance(seq, bool)
        or not isinstance(seq, int)
        or seq < 0
        or not (sha is None or (isinstance(sha, str) and SHA256_HEX.fullmatch(sha)))
    ):
        raise OperationalError(f"{path}: invalid sequence state; fix or remove it")
    return SeqState(site, seq, sha)


def write_state(state_dir: Path, site: str, seq: int, sha256: str) -> None:
    """Advance the state atomically (temp file + os.replace)."""
    try:
        atomic_write(
            state_path(state_dir, site),
            dumps_canonical({"site": site, "seq": seq, "sha256": sha256}),
        )
    except OSError as exc:
        raise OperationalError(
            f"{state_dir}: cannot write sequence state: {exc.strerror}"
        ) from None


@contextmanager
def locked(state_dir: Path, site: str) -> Iterator[None]:
    """Serialise writers of one site's sequence (two collects at once must not share a seq)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / f".{site}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise OperationalError(
            f"{state_dir}: cannot create sequence state: {exc.strerror}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
