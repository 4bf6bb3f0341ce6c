"""Test helpers for the store: bundle chains, an independent consistency check, tmpfs mounts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import ROOT, snapshot

from driftctl.bundle.keys import SigningKey
from driftctl.bundle.writer import write_bundle

PAGE = 4096


def chain(base: Path, key: SigningKey, site: str, n: int, tag: str = "") -> list[Path]:
    """``n`` consecutive bundles of ``site`` from one collector (own out dir and seq state)."""
    out = []
    for i in range(n):
        snap = snapshot(site, collected_at=f"2026-11-{1 + i:02d}T00:00:00Z", probe=f"{tag}{i}")
        written = write_bundle(base / f"out-{site}{tag}", snap, [], {"total": 0}, key, "1")
        out.append(written.path)
    return out


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (a crash hook kills it, so never in-process)."""
    return subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def ledger_lines(root: Path) -> list[dict[str, Any]]:
    path = root / "ledger.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def leftovers(root: Path) -> list[str]:
    """Temp files and staging directories anywhere under ``root``."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith((".tmp-", ".driftctl-"))
    )


def assert_consistent(root: Path) -> None:
    """What the protocol promises, read from the files directly (not through driftctl.store).

    Every seq directory has exactly one ledger import line with its sha256 and no other import
    line exists; a stored directory holds its five files (and the facts index when its import
    wrote one, made from that very bundle), a pruned one meta.json only and a prune record; each
    site's state.json says what its directories say; no temp file is left.
    """
    assert leftovers(root) == []
    lines = ledger_lines(root)  # every line parses: json.loads raises otherwise
    imports = Counter(
        (line["site"], line["seq"], line["sha256"])
        for line in lines
        if line["result"].startswith("imported")
    )
    pruned = {
        (line["site"], item["seq"])
        for line in lines
        if line["result"] == "pruned"
        for item in line["removed"]
    }
    found = set()
    sites = root / "sites"
    for site_dir in sorted(sites.iterdir()) if sites.is_dir() else []:
        site = site_dir.name
        stored = []
        for seq_dir in sorted(p for p in site_dir.iterdir() if p.is_dir()):
            meta = json.loads((seq_dir / "meta.json").read_text())
            key = (site, meta["seq"], meta["sha256"])
            found.add(key)
            assert imports[key] == 1, (key, imports)
            files = {p.name for p in seq_dir.iterdir()}
            name = f"{site}-{meta['seq']:06d}.tar.gz"
            if (site, meta["seq"]) in pruned:
                assert files == {"meta.json"}, (seq_dir, files)
            else:
                if "facts.jsonl" in files:
                    files.remove("facts.jsonl")
                    header = json.loads((seq_dir / "facts.jsonl").read_bytes().split(b"\n")[0])
                    assert header["bundle_sha256"] == meta["sha256"], seq_dir
                assert files == {
                    "meta.json",
                    "manifest.json",
                    "snapshot.json",
                    name,
                    f"{name}.sig",
                }, (seq_dir, files)
                stored.append(meta)
        assert stored, f"{site_dir}: a site directory without any stored bundle"
        state = json.loads((site_dir / "state.json").read_text())
        assert (state["seq"], state["sha256"], state["count"]) == (
            stored[-1]["seq"],
            stored[-1]["sha256"],
            len(stored),
        ), site
    assert set(imports) == found, set(imports) ^ found


def canonical_tree(root: Path) -> dict[str, Any]:
    """The store minus what depends on the moment or the order of arrival (times, ledger order)."""
    out: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_dir():
            out[rel] = "<dir>"
        elif path.name in ("meta.json", "state.json"):
            data = json.loads(path.read_text())
            data.pop("imported_at")
            out[rel] = data
        elif path.name == "ledger.jsonl":
            out[rel] = sorted((x["site"], x["seq"], x["sha256"]) for x in ledger_lines(root))
        else:
            out[rel] = path.read_bytes()
    return out


@contextmanager
def memory_dir() -> Iterator[Path]:
    """A scratch directory in /dev/shm when there is one: fsync costs nothing there, so tests
    that import hundreds of bundles for their logic (not their durability) stay quick."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="driftctl-test-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real, small tmpfs mounted at ``where`` (root only; the test is skipped otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8): the full-disk test cannot run")
    where.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()}): full-disk test skipped")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30, check=False)


def fill(fs: Path, leave_pages: int = 0) -> Path:
    """Fill the filesystem of ``fs`` and then free ``leave_pages`` pages; returns the filler file."""
    filler = fs / "filler"
    with filler.open("wb", buffering=0) as fh:
        block = b"\0" * (16 * PAGE)
        try:
            while True:
                fh.write(block)
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave_pages * PAGE))
    return filler
