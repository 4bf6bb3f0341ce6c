"""CUDA → minimum Linux driver, from NVIDIA's table shipped as ``driftctl/data/cuda_drivers.json``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TypeVar

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from driftctl.errors import OperationalError
from driftctl.strictjson import JsonArray, JsonObject, JsonValue, loads_json

TABLE = "cuda_drivers.json"
_T = TypeVar("_T", str, JsonArray, JsonObject)


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


def _get(obj: JsonValue, key: str, kind: type[_T], where: str) -> _T:
    """``obj[key]``, of type ``kind``: the table ships with driftctl, so anything else is a bug."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        raise OperationalError(f"{where}: {key!r} is not a {kind.__name__} (driftctl is damaged)")
    return value


@lru_cache(maxsize=1)
def load_table() -> CudaTable:
    """Read the packaged table (cached; the file is part of driftctl, so errors are bugs)."""
    where = f"driftctl/data/{TABLE}"
    raw = resources.files("driftctl").joinpath("data", TABLE).read_bytes()
    doc = loads_json(raw, where)
    rows = [
        ToolkitEntry(
            Version(_get(r, "cuda", str, where)),
            _get(r, "release", str, where),
            Version(_get(r, "driver", str, where)),
            _get(r, "driver", str, where),
        )
        for r in _get(doc, "toolkit", list, where)
    ]
    rows.sort(key=lambda e: e.cuda)
    compat = _get(doc, "minor_version_compatibility", dict, where)
    minor = {int(k): _get(compat, k, str, where) for k in compat}
    return CudaTable(
        source=_get(doc, "source", str, where), toolkit=tuple(rows), minor_compat=minor
    )
