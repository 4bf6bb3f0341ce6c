"""Store layout and its per-site records: paths, the schema marker, entries and derived state."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from driftctl.bundle import SHA256_HEX
from driftctl.bundle.limits import Limits
from driftctl.bundle.manifest import ManifestError, check_files
from driftctl.bundle.verify import VerifiedBundle
from driftctl.errors import DriftctlError, InputError, OperationalError
from driftctl.safeio import dumps_canonical, expect_mapping, read_capped
from driftctl.strictjson import JsonObject, loads_json, loads_stored_json

STORE_SCHEMA = "driftctl.store/v1"
MARKER = "store.json"
LEDGER = "ledger.jsonl"
LOCK = ".lock"
SEQ_DIR = re.compile(r"[0-9]{6,}")
STAGING_PREFIX = ".tmp-import-"
PRUNE_PREFIX = ".tmp-prune-"
META = "meta.json"
# What a stored seq directory holds besides meta.json; a pruned one keeps meta.json only.
MANIFEST, SNAPSHOT = "manifest.json", "snapshot.json"
# Derived from the bundle at import, beside its members: the flat facts diff reads (docs/store.md).
FACTS = "facts.jsonl"
MAX_FACTS = 256 * 1024 * 1024


class Derived(Protocol):
    """A file the store derives from each bundle it imports (written inside the import's commit)
    and that ``store check`` compares with what the verified bundle gives."""

    name: str

    def make(self, vb: VerifiedBundle) -> bytes:
        """The file's bytes for a verified bundle."""
        ...

    def problem(self, vb: VerifiedBundle, data: bytes) -> str | None:
        """What is wrong with a stored copy (``data``), or None when readers may use it or
        would ignore it."""
        ...


_LEGACY_META_KEYS = {"gap"}  # written by stores before store.json existed; order-dependent


@dataclass(frozen=True)
class Entry:
    """One imported bundle (``sites/<site>/<seq>/meta.json``); ``stored`` is False once pruned."""

    site: str
    seq: int
    sha256: str
    prev_sha256: str | None
    collected_at: str
    imported_at: str
    signer: str
    bundle: str
    stored: bool = field(default=True, compare=False)

    def to_json(self) -> JsonObject:
        return {
            "site": self.site,
            "seq": self.seq,
            "sha256": self.sha256,
            "prev_sha256": self.prev_sha256,
            "collected_at": self.collected_at,
            "imported_at": self.imported_at,
            "signer": self.signer,
            "bundle": self.bundle,
        }

    @property
    def stored_name(self) -> str:
        """The bundle's file name inside its seq directory (the signature adds ``.sig``)."""
        return f"{self.site}-{self.seq:06d}.tar.gz"


@dataclass(frozen=True)
class SiteState:
    """One site as the store knows it: newest bundle, history, gaps still open, signers seen."""

    site: str
    latest: Entry
    gaps: tuple[str, ...]
    count: int  # bundles stored (the latest and its history)
    pruned: int = 0
    signers: tuple[str, ...] = ()
    spans: tuple[tuple[int, int, int], ...] = ()  # the gaps as (first, last, before)

    @property
    def history(self) -> int:
        return self.count - 1


def site_dir(root: Path, site: str) -> Path:
    return root / "sites" / site


def seq_dir(root: Path, site: str, seq: int) -> Path:
    return site_dir(root, site) / f"{seq:06d}"


def damaged(where: Path | str, what: str) -> OperationalError:
    return OperationalError(f"store damaged: {where}: {what}")


def load_json(path: Path) -> JsonObject:
    try:
        return expect_mapping(loads_json(read_capped(path, 64 * 1024 * 1024), str(path)), str(path))
    except DriftctlError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def check_root(root: Path, must_exist: bool) -> bool:
    """Refuse a --store that is no store directory; True when ``root`` exists.

    A file is bad input (exit 2); a marker of another schema is a store this driftctl cannot
    operate on (exit 3, docs/store.md); a non-empty directory holding no store is refused.
    """
    if root.exists() and not root.is_dir():
        raise InputError(f"{root}: not a directory (--store names a store directory)")
    if not root.exists():
        if must_exist:
            raise InputError(f"{root}: no store here (import bundles first, or give --store)")
        return False
    marker = root / MARKER
    if marker.exists() or marker.is_symlink():
        schema = load_json(marker).get("schema")
        if schema != STORE_SCHEMA:
            raise OperationalError(
                f"{marker}: store written by another driftctl version (schema {schema!r}); "
                f"this driftctl reads {STORE_SCHEMA!r}"
            )
        return True
    # Hidden names are the store's own (lock, staging, temp files of a write in progress).
    names = {n for n in os.listdir(root) if not n.startswith(".")}
    if names and not names & {"sites", LEDGER}:
        raise InputError(f"{root}: not a driftctl store (no {MARKER}) and not empty")
    return True


def _check_meta(meta: JsonObject, where: Path, path: Path) -> Entry:
    extra = set(meta) - set(Entry.__dataclass_fields__) - _LEGACY_META_KEYS
    missing = set(Entry.__dataclass_fields__) - {"stored"} - set(meta)
    if extra or missing or "stored" in meta:
        raise damaged(where, "unexpected fields")
    site, seq = meta["site"], meta["seq"]
    if not isinstance(site, str) or site != path.parent.name:
        raise damaged(where, f"site {site!r} is not the directory's")
    if isinstance(seq, bool) or not isinstance(seq, int) or path.name != f"{seq:06d}":
        raise damaged(where, f"seq {seq!r} is not the directory's")
    text: dict[str, str] = {}
    for key in ("sha256", "collected_at", "imported_at", "signer", "bundle"):
        value = meta[key]
        if not isinstance(value, str):
            raise damaged(where, f"{key}: expected a string")
        text[key] = value
    if not SHA256_HEX.fullmatch(text["sha256"]):
        raise damaged(where, "sha256: not a sha256 hex digest")
    for key in ("prev_sha256", "gap"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise damaged(where, f"{key}: expected a string or null")
    prev = meta["prev_sha256"]
    return Entry(
        site=site,
        seq=seq,
        sha256=text["sha256"],
        prev_sha256=prev if isinstance(prev, str) else None,
        collected_at=text["collected_at"],
        imported_at=text["imported_at"],
        signer=text["signer"],
        bundle=text["bundle"],
        stored=(path / SNAPSHOT).exists(),
    )


def read_entry(path: Path) -> Entry:
    """A seq directory's ``meta.json``; OperationalError naming the file (and key) when damaged."""
    where = path / META
    return _check_meta(load_json(where), where, path)


def recorded_sha256(directory: Path, name: str) -> str | None:
    """The sha256 that the stored ``manifest.json`` beside ``name`` records for it; None when
    the manifest is missing, damaged or silent about it (the caller then checks the bytes)."""
    limits = Limits()
    try:
        data = read_capped(directory / MANIFEST, limits.small_json_bytes)
        files = check_files(expect_mapping(loads_stored_json(data, ""), "").get("files"), limits)
    except (DriftctlError, ManifestError):
        return None
    return next((f.sha256 for f in files if f.path == name), None)


def read_snapshot(root: Path, site: str, seq: int) -> JsonObject:
    """A stored snapshot; history and diff read hundreds.

    Its bytes passed the strict reader when the bundle was imported. When they still hash to
    the digest the stored manifest records, they are those very bytes, and plain ``json.loads``
    (half the cost) reads them; otherwise the fast reader does, with the strict reader's
    refusals and words for a damaged or edited file."""
    path = seq_dir(root, site, seq) / SNAPSHOT
    if not path.exists():
        raise damaged(path, "missing (pruned bundles have no snapshot)")
    try:
        data = read_capped(path, 64 * 1024 * 1024)
        if hashlib.sha256(data).hexdigest() == recorded_sha256(path.parent, SNAPSHOT):
            return expect_mapping(json.loads(data.decode("utf-8")), str(path))
        return expect_mapping(loads_stored_json(data, str(path)), str(path))
    except DriftctlError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def read_facts(root: Path, site: str, seq: int) -> bytes | None:
    """A stored bundle's facts index, or None when it has none (imported by an older driftctl);
    OperationalError when it cannot be read (not a file, too large)."""
    path = seq_dir(root, site, seq) / FACTS
    if not os.path.lexists(path):
        return None
    try:
        return read_capped(path, MAX_FACTS)
    except DriftctlError as exc:
        raise OperationalError(f"store damaged: {exc}") from None


def entries(root: Path, site: str) -> list[Entry]:
    """Every import of ``site``, stored or pruned, oldest first (staging never counts)."""
    base = site_dir(root, site)
    if not base.is_dir():
        return []
    found = [read_entry(base / n) for n in os.listdir(base) if SEQ_DIR.fullmatch(n)]
    return sorted(found, key=lambda e: e.seq)


def site_names(root: Path) -> list[str]:
    base = root / "sites"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


def missing_spans(seqs: list[int]) -> list[tuple[int, int, int]]:
    """The holes in ``1..max(seqs)`` as (first missing, last missing, the seq after them)."""
    spans, last = [], 0
    for seq in sorted(seqs):
        if seq > last + 1:
            spans.append((last + 1, seq - 1, seq))
        last = seq
    return spans


def gap_text(first: int, last: int, before: int) -> str:
    """A hole worded as the import reports it: ``seq 3..4 missing before seq 5``."""
    hole = f"{first}" if first == last else f"{first}..{last}"
    return f"seq {hole} missing before seq {before}"


def seq_status(root: Path, site: str) -> dict[int, bool]:
    """Every seq of ``site`` in the store and whether it is stored (False: pruned).

    From the directory listing and one stat per seq, no JSON read: the import runs this for
    every bundle, so it must stay cheap on a site with hundreds of bundles.
    """
    base = site_dir(root, site)
    if not base.is_dir():
        return {}
    prefix = str(base)
    return {
        int(name): os.path.exists(os.path.join(prefix, name, SNAPSHOT))
        for name in os.listdir(base)
        if SEQ_DIR.fullmatch(name)
    }


def summarize(
    site: str, status: Mapping[int, bool], latest: Entry, signers: tuple[str, ...] = ()
) -> SiteState:
    """The state of a site whose seqs are ``status`` (seq -> stored) and whose newest is ``latest``."""
    stored = sum(status.values())
    spans = tuple(missing_spans(list(status)))
    gaps = tuple(gap_text(*span) for span in spans)
    return SiteState(site, latest, gaps, stored, len(status) - stored, signers, spans)


def state_from_entries(site: str, found: list[Entry]) -> SiteState | None:
    stored = [e for e in found if e.stored]
    if not stored:
        return None
    signers = tuple(dict.fromkeys(e.signer for e in reversed(stored)))
    return summarize(site, {e.seq: e.stored for e in found}, stored[-1], signers)


def state_json(state: SiteState) -> bytes:
    latest = state.latest
    return dumps_canonical(
        {
            "site": state.site,
            "seq": latest.seq,
            "sha256": latest.sha256,
            "collected_at": latest.collected_at,
            "imported_at": latest.imported_at,
            "signer": latest.signer,
            "gaps": list(state.gaps),
            "count": state.count,
            "history": state.history,
            "pruned": state.pruned,
        }
    )


def load_state(root: Path, site: str) -> SiteState | None:
    """The site's state, derived from its seq directories (``state.json`` is their summary)."""
    return state_from_entries(site, entries(root, site))
