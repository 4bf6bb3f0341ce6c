"""Store layout and its per-site records: reading them, and rebuilding state after a crash."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftctl.bundle import SHA256_HEX
from driftctl.errors import DriftctlError, OperationalError
from driftctl.safeio import dumps_canonical, expect_mapping, loads_json, read_capped

log = logging.getLogger(__name__)
SEQ_DIR = re.compile(r"^[0-9]{6,}$")
STAGING_PREFIX = ".tmp-import-"


@dataclass(frozen=True)
class Entry:
    """One imported bundle (``sites/<site>/<seq>/meta.json``)."""

    site: str
    seq: int
    sha256: str
    prev_sha256: str | None
    collected_at: str
    imported_at: str
    signer: str
    bundle: str
    gap: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SiteState:
    """What the store knows of one site: its newest bundle and every gap seen on the way."""

    site: str
    latest: Entry
    gaps: tuple[str, ...]
    count: int


def site_dir(root: Path, site: str) -> Path:
    return root / "sites" / site


def seq_dir(root: Path, site: str, seq: int) -> Path:
    return site_dir(root, site) / f"{seq:06d}"


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return expect_mapping(loads_json(read_capped(path, 64 * 1024 * 1024), str(path)), str(path))
    except DriftctlError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


_ENTRY_STRINGS = ("sha256", "collected_at", "imported_at", "signer", "bundle")


def read_entry(path: Path) -> Entry:
    """A seq directory's ``meta.json``; OperationalError naming the file (and key) when damaged."""
    where = path / "meta.json"
    meta = _load_json(where)
    try:
        entry = Entry(**meta)
    except TypeError:
        raise OperationalError(f"store damaged: {where}: unexpected fields") from None
    if entry.site != path.parent.name:
        raise OperationalError(
            f"store damaged: {where}: site {entry.site!r} is not the directory's"
        )
    if (
        isinstance(entry.seq, bool)
        or not isinstance(entry.seq, int)
        or path.name != f"{entry.seq:06d}"
    ):
        raise OperationalError(f"store damaged: {where}: seq {entry.seq!r} is not the directory's")
    for key in _ENTRY_STRINGS:
        if not isinstance(meta[key], str):
            raise OperationalError(f"store damaged: {where}: {key}: expected a string")
    if not SHA256_HEX.fullmatch(entry.sha256):
        raise OperationalError(f"store damaged: {where}: sha256: not a sha256 hex digest")
    for key in ("prev_sha256", "gap"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise OperationalError(f"store damaged: {where}: {key}: expected a string or null")
    return entry


def read_snapshot(root: Path, site: str, seq: int) -> dict[str, Any]:
    return _load_json(seq_dir(root, site, seq) / "snapshot.json")


def entries(root: Path, site: str) -> list[Entry]:
    """All complete imports of ``site``, oldest first (staging leftovers never count)."""
    base = site_dir(root, site)
    found = [
        read_entry(p) for p in sorted(base.iterdir()) if p.is_dir() and SEQ_DIR.fullmatch(p.name)
    ]
    return sorted(found, key=lambda e: e.seq)


def site_names(root: Path) -> list[str]:
    base = root / "sites"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


def state_from_entries(site: str, found: list[Entry]) -> SiteState | None:
    if not found:
        return None
    gaps = tuple(e.gap for e in found if e.gap)
    return SiteState(site, found[-1], gaps, len(found))


def state_json(state: SiteState) -> bytes:
    latest = state.latest
    return dumps_canonical(
        {
            "site": state.site,
            "seq": latest.seq,
            "sha256": latest.sha256,
            "collected_at": latest.collected_at,
            "imported_at": latest.imported_at,
            "gaps": list(state.gaps),
            "count": state.count,
        }
    )


def load_state(root: Path, site: str) -> SiteState | None:
    """The site's state; rebuilt from the seq directories when ``state.json`` is missing or stale."""
    found = entries(root, site)
    rebuilt = state_from_entries(site, found)
    path = site_dir(root, site) / "state.json"
    if rebuilt is None:
        return None
    try:
        cached = read_capped(path, 1024 * 1024)
    except DriftctlError:
        cached = b""
    if cached != state_json(rebuilt):
        log.warning("%s: missing, damaged or stale; state rebuilt from the imported bundles", path)
    return rebuilt
