"""Dump-directory source: reads raw command outputs in the dump layout (docs/dump-layout.md)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from driftctl.config import SiteConfig
from driftctl.dump_layout import (
    COMPANIONS,
    COMPONENT_RE,
    HELM_SECRETS_PATH,
    KUBE_DIR,
    NODES_DIR,
    NODES_PATH,
    PODS_PATH,
    RC_SUFFIX,
    STDERR_SUFFIX,
    WORKLOADS_PATH,
)
from driftctl.errors import InputError
from driftctl.model import Artifact, RawSet
from driftctl.parsers.kube_objects import slim_pod
from driftctl.progress import Progress
from driftctl.safeio import NotRegularFile, open_regular
from driftctl.sources.dump_stream import ListReader
from driftctl.sources.kube_client import ApiFailure
from driftctl.sources.kube_lists import Keep, ListBody

MiB = 1024 * 1024
# One dump file read whole (node outputs, companions, the small Kubernetes documents).
MAX_FILE_BYTES = 512 * MiB
# One kubectl List, read item by item (docs/dump-layout.md): kubectl's indented JSON of
# 150,000 pods is about 600 MB, of large pods a few times that. What is kept of the items is
# capped on its own (kube_lists.MAX_LIST_BYTES).
MAX_LIST_FILE_BYTES = 4096 * MiB
# The Lists, and what is kept of each item: as the live source keeps them.
LISTS: dict[str, Keep | None] = {
    NODES_PATH: None,
    WORKLOADS_PATH: None,
    PODS_PATH: slim_pod,
    HELM_SECRETS_PATH: None,
}
TOP_DIRS = (KUBE_DIR, NODES_DIR)
log = logging.getLogger(__name__)


def _regular(path: Path, raw: RawSet, rel: str, cap: int) -> bool:
    """Whether ``path`` is a regular file (not a symlink) within ``cap``, else record why not."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raw.fail(rel, "dump", "not a regular file (symlinks and devices are not read)")
        return False
    if st.st_size > cap:
        # Dropped data is a recorded failure naming the cap, never a file read as absent.
        raw.fail(
            rel,
            "dump",
            f"not read: {st.st_size} bytes, over the cap of {cap // MiB} MiB per dump file",
        )
        return False
    return True


def _read(path: Path, raw: RawSet, rel: str) -> bytes | None:
    """Read a regular file (never following a symlink) or record why not."""
    if not _regular(path, raw, rel, MAX_FILE_BYTES):
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raw.fail(rel, "dump", f"cannot read: {exc.strerror}")
        return None


def _read_list(
    path: Path, raw: RawSet, rel: str, keep: Keep | None, stderr: bytes, rc: int | None
) -> Artifact | None:
    """A kubectl List read item by item into the items the live source would keep (slimmed,
    judged as they arrive, shared); a malformed or capped file is a failure, never half read."""
    if not _regular(path, raw, rel, MAX_LIST_FILE_BYTES):
        return None
    body = ListBody(rel, raw.judge)
    try:
        fh, _size = open_regular(path)
        with fh:
            for item, chars in ListReader(fh, rel, MAX_LIST_FILE_BYTES).items():
                if isinstance(item, dict):
                    body.grant(chars)
                    body.add(rel, keep(item) if keep else item)
    except (InputError, ApiFailure) as exc:
        raw.fail(rel, "dump", "not read: " + str(exc).removeprefix(f"{rel}: "))
        return None
    except NotRegularFile:  # replaced since it was checked
        raw.fail(rel, "dump", "not a regular file (symlinks and devices are not read)")
        return None
    except OSError as exc:
        raw.fail(rel, "dump", f"cannot read: {exc.strerror}")
        return None
    return Artifact(rel, None, stderr, rc, judged=body.judged(), items=body.items())


def _rc(text: bytes | None) -> int | None:
    if text is None:
        return 0
    try:
        return int(text.strip() or b"0")
    except ValueError:
        return None


def _nonempty(path: Path) -> bool:
    """A List file with content (an empty one is read as the whole-file path reads it)."""
    try:
        return path.lstat().st_size > 0
    except OSError:
        return False


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
            stderr = (
                _read(path.with_name(path.name + STDERR_SUFFIX), raw, rel + STDERR_SUFFIX) or b""
            )
            rc = _rc(_read(path.with_name(path.name + RC_SUFFIX), raw, rel + RC_SUFFIX))
            if rel in LISTS and rc == 0 and _nonempty(path):
                listed = _read_list(path, raw, rel, LISTS[rel], stderr, rc)
                if listed is not None:
                    raw.add(listed)
                    read += 1
                    log.debug("read %s: %d items, rc 0", rel, len(listed.items or ()))
                progress.advance(rel, ok=listed is not None)
                continue
            data = _read(path, raw, rel)
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
