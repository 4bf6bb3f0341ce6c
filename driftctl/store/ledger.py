"""The append-only ledger: one JSON line per import or prune; appending a line is the commit."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from driftctl.durable import crash_point
from driftctl.errors import OperationalError
from driftctl.store.layout import LEDGER, damaged
from driftctl.strictjson import JsonObject

TAIL = 1 << 20  # a prune line lists its bundles; far below this


@dataclass(frozen=True)
class ImportLine:
    """The line that commits an import (docs/store.md)."""

    txn: str
    imported_at: str
    site: str
    seq: int
    sha256: str
    result: str  # imported, imported-with-gap or imported-as-history
    gap: str | None = None  # the hole this import leaves open (imported-with-gap)

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "imported_at": self.imported_at,
            "site": self.site,
            "seq": self.seq,
            "sha256": self.sha256,
            "result": self.result,
        }
        if self.gap:
            out["gap"] = self.gap
        out["txn"] = self.txn
        return out


@dataclass(frozen=True)
class PruneLine:
    """The line that commits a prune: the bundles of one site whose files are removed."""

    txn: str
    pruned_at: str
    site: str
    removed: tuple[tuple[int, str], ...]  # (seq, sha256)

    def to_json(self) -> JsonObject:
        return {
            "txn": self.txn,
            "pruned_at": self.pruned_at,
            "site": self.site,
            "result": "pruned",
            "removed": [{"seq": seq, "sha256": sha256} for seq, sha256 in self.removed],
        }


def ledger_path(root: Path) -> Path:
    return root / LEDGER


def open_for_append(root: Path) -> int:
    """The ledger, opened before anything is staged: an unwritable ledger stops an operation early."""
    path = ledger_path(root)
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        raise OperationalError(f"{path}: cannot open the ledger: {exc.strerror}") from None


def append(fd: int, line: ImportLine | PruneLine, step: str) -> None:
    """Append ``line`` with one write and fsync it: the commit point of an operation.

    On failure (a full disk) the ledger is cut back to its old length, so the line either is
    there whole or the operation did not happen.
    """
    data = json.dumps(line.to_json(), sort_keys=True, ensure_ascii=True).encode() + b"\n"
    size = os.fstat(fd).st_size

    def torn() -> None:
        os.write(fd, data[: len(data) // 2])
        os.fsync(fd)

    crash_point(f"{step}:ledger-torn", before=torn)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError:
            pass  # the next command's recovery cuts the torn tail
        raise


def _read_tail(path: Path) -> tuple[bytes, int]:
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - TAIL))
            return fh.read(), size
    except FileNotFoundError:
        return b"", 0
    except OSError as exc:
        raise OperationalError(f"{path}: cannot read the ledger: {exc.strerror}") from None


def is_torn(root: Path) -> bool:
    """The ledger ends inside a line (a write a crash cut short)."""
    path = ledger_path(root)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return size > 0 and os.pread(fh.fileno(), 1, size - 1) != b"\n"
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OperationalError(f"{path}: cannot read the ledger: {exc.strerror}") from None


def cut_torn_tail(root: Path) -> None:
    """Remove a partial last line: it never committed anything."""
    path = ledger_path(root)
    tail, size = _read_tail(path)
    if not tail or tail.endswith(b"\n"):
        return
    keep = size - (len(tail) - (tail.rfind(b"\n") + 1))
    fd = os.open(path, os.O_RDWR)
    try:
        os.ftruncate(fd, keep)
        os.fsync(fd)
    finally:
        os.close(fd)


def last_txn(root: Path) -> tuple[str | None, JsonObject | None]:
    """The ``txn`` of the last complete line and the line itself (None when there is none)."""
    tail, _ = _read_tail(ledger_path(root))
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    try:
        last: object = json.loads(lines[-1]) if lines[-1] else None
    except ValueError:
        return None, None
    if not isinstance(last, dict) or not isinstance(last.get("txn"), str):
        return None, None
    return last["txn"], last


def read_all(root: Path) -> list[tuple[int, JsonObject]]:
    """Every ledger line with its number; OperationalError names the first line that is no object."""
    path = ledger_path(root)
    out: list[tuple[int, JsonObject]] = []
    for number, line in enumerate(read_lines(path), start=1):
        value = parse_line(line)
        if value is None:
            raise damaged(path, f"line {number}: not a JSON object")
        out.append((number, value))
    return out


def read_lines(path: Path) -> list[bytes]:
    try:
        return path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OperationalError(f"{path}: cannot read the ledger: {exc.strerror}") from None


def parse_line(line: bytes) -> JsonObject | None:
    try:
        value: object = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
