"""Freshness of a verified bundle against a site's stored ones: new latest, history, or refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from driftctl.errors import BundleRejected
from driftctl.store.layout import Entry, gap_text

IMPORTED = "imported"
HISTORY = "imported as history"
ALREADY = "already imported"


@dataclass(frozen=True)
class Decision:
    """What importing the bundle means: its status, a gap it opens, the stored seqs it links to."""

    status: str
    gap: str | None = None
    links: tuple[int, ...] = ()
    pruned: bool = False  # ALREADY, and the stored copy was pruned since


def _short(sha: str | None) -> str:
    return "null" if sha is None else f"{sha[:12]}…"


def _printable(text: str) -> str:
    """A file name from a USB stick, with control characters made visible."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _stored(entry: Entry) -> str:
    """Names a stored bundle unambiguously: where it is, and the file it was imported from."""
    return (
        f"the stored seq {entry.seq} (sites/{entry.site}/{entry.seq:06d}, imported from "
        f"{_printable(entry.bundle)} at {entry.imported_at})"
    )


def decide(
    name: str,
    site: str,
    seq: int,
    sha256: str,
    prev: str | None,
    near: Mapping[int, Entry],
    latest: int,
) -> Decision:
    """Step (8) of verification, against the site's stored (or pruned) seq-1, seq and seq+1
    (``near``, those that exist) and its highest seq ``latest`` (0 when none).

    The same bytes again are a no-op. Another bundle under a stored seq, or one whose hash chain
    contradicts a stored neighbour's (its ``prev_sha256`` is not the stored seq-1, or the stored
    seq+1 does not name it), is equivocation: the site signed two histories. Anything else is
    stored: above the latest it becomes the latest (a jump is a gap), below it is history,
    linked to the neighbours stored now or to those that arrive later.
    """
    old = near.get(seq)
    if old is not None:
        if old.sha256 == sha256:
            return Decision(ALREADY, pruned=not old.stored)
        raise BundleRejected(
            f"{name}: equivocation: {site} seq {seq} was already imported with other bytes: "
            f"{name} has sha256 {_short(sha256)}, {_stored(old)} has {_short(old.sha256)}",
            "freshness",
        )
    links = []
    before = near.get(seq - 1)
    if before is not None:
        if prev != before.sha256:
            raise BundleRejected(
                f"{name}: equivocation: {site} seq {seq} links to a seq {seq - 1} with sha256 "
                f"{_short(prev)}, but {_stored(before)} has {_short(before.sha256)}",
                "freshness",
            )
        links.append(seq - 1)
    after = near.get(seq + 1)
    if after is not None:
        if after.prev_sha256 != sha256:
            raise BundleRejected(
                f"{name}: equivocation: {site} seq {seq} has sha256 {_short(sha256)}, but "
                f"{_stored(after)} links to {_short(after.prev_sha256)}",
                "freshness",
            )
        links.append(seq + 1)
    if seq < latest:
        return Decision(HISTORY, None, tuple(links))
    gap = gap_text(latest + 1, seq - 1, seq) if seq > latest + 1 else None
    return Decision(IMPORTED, gap, tuple(links))
