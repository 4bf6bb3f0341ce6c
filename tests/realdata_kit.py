"""The real recorded outputs, read in place from the workplace's ``shared/realdata`` (never copied).

The samples are other projects' data, so the repository does not hold them: they sit in
``../shared/realdata`` beside the checkout (a worktree one level deeper finds the same folder
from its parent). A clone without that folder skips these tests and says why.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from driftctl.config import SiteConfig
from driftctl.model import RawSet
from driftctl.pipeline import run_collectors
from driftctl.progress import NullProgress
from driftctl.sources.dump import DumpSource

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "fixtures" / "sites"


def _find() -> Path | None:
    """``shared/realdata`` beside the repository root, or beside one of its parent folders."""
    for base in ROOT.parents:
        candidate = base / "shared" / "realdata"
        if (candidate / "INDEX.md").is_file():
            return candidate
    return None


REALDATA = _find()
ABSENT = (
    "the real recorded outputs are not here: ../shared/realdata (beside the repository) is "
    "absent, as in a clone outside the workplace"
)
needs_realdata = pytest.mark.skipif(REALDATA is None, reason=ABSENT)


def real(name: str) -> Path:
    """Path of one recorded sample (``external/…``, ``extra/…`` or the original set); skips if absent."""
    if REALDATA is None:
        pytest.skip(ABSENT)
    path = REALDATA / name
    assert path.is_file(), f"{name}: no such sample in {REALDATA}"
    return path


def real_bytes(name: str) -> bytes:
    return real(name).read_bytes()


def one_node_dump(tmp: Path, files: dict[str, Path | bytes], node: str = "n1") -> Path:
    """A dump directory holding one node's outputs (``dump file name`` → sample path or bytes)."""
    root = tmp / "dump"
    d = root / "nodes" / node
    d.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            shutil.copyfile(content, d / name)
    return root


def collect_dump(root: Path, site: str = "lab") -> dict[str, Any]:
    """The snapshot the collect pipeline makes of a dump directory (no Kubernetes part)."""
    config = SiteConfig(site=site, source=Path(f"{site}.yaml"))
    raw = RawSet()
    DumpSource(root).acquire(config, raw, NullProgress())
    return run_collectors(config, raw, "2026-11-30T00:00:00Z")
