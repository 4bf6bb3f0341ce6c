"""The packaged CUDA → minimum driver table: source named, ordered, and the lookups rules use."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from driftctl.policy.cuda import load_table

TABLE = Path(__file__).parent.parent / "driftctl" / "data" / "cuda_drivers.json"


def test_table_names_nvidia_release_notes_as_source() -> None:
    table = load_table()
    assert "NVIDIA CUDA Toolkit Release Notes" in table.source
    assert "CUDA Toolkit and Corresponding Driver Versions" in table.source
    assert table.minor_compat == {11: "450.80.02", 12: "525.60.13", 13: "580"}


def test_table_covers_11_to_13_and_drivers_never_decrease() -> None:
    rows = load_table().toolkit
    majors = {r.cuda.major for r in rows}
    assert majors == {11, 12, 13}
    assert all(a.driver <= b.driver for a, b in itertools.pairwise(rows))
    doc = json.loads(TABLE.read_text())
    assert len(doc["toolkit"]) == len(rows) and len({r["cuda"] for r in doc["toolkit"]}) == len(
        rows
    )


@pytest.mark.parametrize(
    ("spec", "cuda", "driver"),
    [
        (">=12.0", "12.0.0", "525.60.13"),
        (">12.0", "12.0.1", "525.85.12"),
        (">=12.4", "12.4.0", "550.54.14"),
        (">=11.8,<12", "11.8.0", "520.61.05"),
        (">=13.0", "13.0.0", "580.65.06"),
        ("==12.2.*", "12.2.0", "535.54.03"),
        (">=11.0", "11.0.2", "450.51.05"),
        (">=12.8", "12.8.0", "570.26"),
        (">=13.2", "13.2.0", "595.45.04"),
        (">=13.3", "13.3.0", "610.43.02"),
    ],
    ids=[
        "12.0",
        "after-12.0-ga",
        "12.4",
        "11.8",
        "13.0",
        "12.2-wildcard",
        "11.0-ga",
        "12.8-two-part-driver",
        "13.2",
        "13.3",
    ],
)
def test_minimum_driver_for_a_cuda_range(spec: str, cuda: str, driver: str) -> None:
    entry = load_table().minimum_driver(SpecifierSet(spec))
    assert entry is not None
    assert entry.cuda == Version(cuda) and entry.driver_text == driver


def test_range_beyond_the_table_has_no_minimum() -> None:
    assert load_table().minimum_driver(SpecifierSet(">=20")) is None


@pytest.mark.parametrize(
    ("spec", "driver"),
    [(">=12.4", "525.60.13"), (">=13.0", "580"), (">=11.8", "450.80.02"), (">=12.0", "525.60.13")],
    ids=["12.4", "13.0", "11.8", "12.0-same-as-toolkit"],
)
def test_minor_version_compatibility_floor(spec: str, driver: str) -> None:
    table = load_table()
    entry = table.minimum_driver(SpecifierSet(spec))
    assert entry is not None
    assert table.minor_compat_driver(entry).driver_text == driver
