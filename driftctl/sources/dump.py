"""Dump-directory source: reads raw command outputs in the dump layout (docs/dump-layout.md)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from driftctl.config import SiteConfig
from driftctl.dump_layout import (
    COMPANIONS,
    COMPONENT_RE,
    KUBE_DIR,
    NODES_DIR,
    RC_SUFFIX,
    STDERR_SUFFIX,
)
from driftctl.errors import InputError
from driftctl.model import Artifact, RawSet
from driftctl.progress import Progress

MiB = 1024 * 1024
# One dump file. kubectl's indented JSON of 150,000 pods is about 600 MB, and parsing a whole
# pod list costs several times its size in memory: such a dump's pods.json is over it
# (docs/dump-layout.md).
MAX_FILE_BYTES = 512 * MiB
TOP_DIRS = (KUBE_DIR, NODES_DIR)
log = logging.getLogger(__name__)


def _read(path: Path, raw: RawSet, rel: str) -> bytes | None:
    """Read a regular file (never following a symlink) or record why not."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raw.fail(rel, "dump", "not a regular file (symlinks and devices are not read)")
        return None
    if st.st_size > MAX_FILE_BYTES:
        # Dropped data is a recorded failure naming the cap, never a file read as absent.
        raw.fail(
            rel,
            "dump",
            f"not read: {st.st_size} bytes, over the cap of {MAX_FILE_BYTES // MiB} MiB "
            "per dump file",
        )
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raw.fail(rel, "dump", f"cannot read: {exc.strerror}")
        return None


def _rc(text: bytes | None) -> int | None:
    if text is None:
        return 0
    try:
        return int(text.strip() or b"0")
    except ValueError:
        return None


class DumpSource:
    """Reads every output file of a dump directory with its ``.stderr``/``.rc`` companions."""

    name = "dump"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _files(self, raw: RawSet) -> list[str]:
        rels: list[str] = []
        for top in TOP_DIRS:
            base = self.root / top
            if not base.is_dir() or base.is_symlink():
                continue
            depth = 1 if top == "kubernetes" else 2
            pattern = "*" if depth == 1 else "*/*"
            linked = set()
            if depth == 2:  # a symlinked node directory could reach any file on this host
                linked = {p for p in base.iterdir() if p.is_symlink()}
                for link in sorted(linked):
                    rel = link.relative_to(self.root).as_posix()
                    raw.fail(rel, "dump", "not a directory (symlinks are not followed)")
            for path in sorted(base.glob(pattern)):
                if path.parent in linked:
                    continue
                rel = path.relative_to(self.root).as_posix()
                parts = rel.split("/")
                if not all(COMPONENT_RE.fullmatch(p) for p in parts):
                    raw.fail(rel, "dump", "file name not allowed")
                    continue
                if path.is_dir() or rel.endswith(COMPANIONS):
                    continue
                rels.append(rel)
            if top == "nodes":
                # A node directory whose command wrote nothing but a companion still counts.
                for comp in sorted(base.glob("*/*")):
                    if comp.parent in linked:
                        continue
                    rel = comp.relative_to(self.root).as_posix()
                    for suffix in COMPANIONS:
                        if rel.endswith(suffix) and rel[: -len(suffix)] not in rels:
                            rels.append(rel[: -len(suffix)])
        return sorted(set(rels))

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        if not self.root.is_dir():
            what = "is not a directory" if self.root.exists() else "does not exist"
            raise InputError(f"{self.root}: dump directory {what}")
        failed_before = len(raw.failures)
        rels = self._files(raw)
        log.info("dump %s: %d command outputs to read", self.root, len(rels))
        progress.start("reading dump", len(rels))
        read = 0
        for rel in rels:
            path = self.root / rel
            data = _read(path, raw, rel)
            stderr = (
                _read(path.with_name(path.name + STDERR_SUFFIX), raw, rel + STDERR_SUFFIX) or b""
            )
            rc = _rc(_read(path.with_name(path.name + RC_SUFFIX), raw, rel + RC_SUFFIX))
            if data is None and not stderr and rc == 0:
                log.debug("skipped %s: no output", rel)
                progress.advance(rel, ok=False)
                continue
            raw.add(Artifact(path=rel, data=data, stderr=stderr, rc=rc))
            read += 1
            log.debug(
                "read %s: %d bytes, rc %s%s",
                rel,
                len(data or b""),
                rc,
                f", {len(stderr)} bytes of stderr" if stderr else "",
            )
            progress.advance(rel, ok=data is not None)
        progress.finish()
        skipped = raw.failures[failed_before:]
        for failure in skipped:
            log.info("skipped %s: %s", failure.target, failure.error)
        log.info("dump %s: read %d outputs, skipped %d files", self.root, read, len(skipped))
