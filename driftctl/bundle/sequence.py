"""The collector's per-site sequence state: last ``seq``, its sha256, and the bundle it publishes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from driftctl.bundle import SHA256_HEX
from driftctl.durable import remove_temps, replace_file
from driftctl.errors import InputError, OperationalError
from driftctl.safeio import dumps_canonical, expect_mapping, loads_json, read_capped


@dataclass(frozen=True)
class SeqState:
    """What the collector remembers about a site's last bundle and where it published it."""

    site: str
    seq: int
    prev_sha256: str | None
    published: tuple[Path, Path] | None = None  # (bundle, signature), absolute


def state_path(state_dir: Path, site: str) -> Path:
    return state_dir / f"{site}.json"


def _published(value: object, path: Path) -> tuple[Path, Path] | None:
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or set(value) != {"bundle", "sig"}
        or not all(isinstance(v, str) and os.path.isabs(v) for v in value.values())
    ):
        raise OperationalError(f"{path}: invalid sequence state (published); fix or remove it")
    return Path(value["bundle"]), Path(value["sig"])


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
    return SeqState(site, seq, sha, _published(data.get("published"), path))


def write_state(
    state_dir: Path, site: str, seq: int, sha256: str, published: tuple[Path, Path]
) -> None:
    """Advance the state atomically: this is the collector's commit point (see writer.py)."""
    record = {"bundle": str(published[0]), "sig": str(published[1])}
    try:
        replace_file(
            state_path(state_dir, site),
            dumps_canonical({"site": site, "seq": seq, "sha256": sha256, "published": record}),
            "collect:state",
        )
    except OSError as exc:
        raise OperationalError(
            f"{state_dir}: cannot write sequence state: {exc.strerror}"
        ) from None


@contextmanager
def locked(state_dir: Path, site: str) -> Iterator[None]:
    """Serialise writers of one site's sequence (two collects at once must not share a seq).

    Under the lock, a temp file an interrupted state write left behind is removed.
    """
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / f".{site}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise OperationalError(
            f"{state_dir}: cannot create sequence state: {exc.strerror}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        remove_temps(state_dir, f".{site}.json.*.tmp")
        yield
    finally:
        os.close(fd)
