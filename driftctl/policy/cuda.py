"""CUDA → minimum Linux driver, from NVIDIA's table shipped as ``driftctl/data/cuda_drivers.json``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from driftctl.safeio import loads_json

TABLE = "cuda_drivers.json"


@dataclass(frozen=True)
class ToolkitEntry:
    """One row of NVIDIA's table: a CUDA toolkit release and the driver it needs at least."""

    cuda: Version
    release: str
    driver: Version
    driver_text: str


@dataclass(frozen=True)
class CudaTable:
    """The whole table and where it comes from."""

    source: str
    toolkit: tuple[ToolkitEntry, ...]
    minor_compat: dict[int, str]

    def minimum_driver(self, cuda: SpecifierSet) -> ToolkitEntry | None:
        """The oldest CUDA release the range admits, with its driver minimum; None if none does."""
        for entry in self.toolkit:
            if cuda.contains(entry.cuda, prereleases=True):
                return entry
        return None

    def minor_compat_driver(self, entry: ToolkitEntry) -> ToolkitEntry:
        """The lower floor of minor-version compatibility for the entry's major (Table 2)."""
        floor = self.minor_compat.get(entry.cuda.major)
        if floor is None or Version(floor) >= entry.driver:
            return entry
        release = f"CUDA {entry.cuda.major}.x minor version compatibility"
        return ToolkitEntry(entry.cuda, release, Version(floor), floor)


@lru_cache(maxsize=1)
def load_table() -> CudaTable:
    """Read the packaged table (cached; the file is part of driftctl, so errors are bugs)."""
    where = f"driftctl/data/{TABLE}"
    raw = resources.files("driftctl").joinpath("data", TABLE).read_bytes()
    doc = loads_json(raw, where)
    rows = [
        ToolkitEntry(Version(r["cuda"]), r["release"], Version(r["driver"]), r["driver"])
        for r in doc["toolkit"]
    ]
    rows.sort(key=lambda e: e.cuda)
    minor = {int(k): str(v) for k, v in doc["minor_version_compatibility"].items()}
    return CudaTable(source=str(doc["source"]), toolkit=tuple(rows), minor_compat=minor)
