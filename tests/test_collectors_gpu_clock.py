"""gpu and clock collectors on dump directories (with .rc/.stderr companions) and GFD label facts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import real

from driftctl.collectors import clock, gpu
from driftctl.collectors.interface import CollectContext
from driftctl.config import SiteConfig
from driftctl.model import RawSet
from driftctl.pipeline import assemble
from driftctl.progress import NullProgress
from driftctl.snapshot import Gpu, Node, Snapshot
from driftctl.sources.dump import DumpSource

CONFIG = SiteConfig(site="lab", source=Path("lab.yaml"))
LABELS = {
    "source": "gfd",
    "driver_version": "535.183.01",
    "cuda_version": "12.2",
    "product": "NVIDIA-A30",
    "count": 1,
    "mig_strategy": "single",
}


def _dump(tmp: Path, node: str, files: dict[str, str | bytes]) -> RawSet:
    """A dump dir with ``files`` (realdata names, or literal bytes) for one node, read back."""
    root = tmp / "dump"
    d = root / "nodes" / node
    d.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            shutil.copy(real(content), d / name)
    raw = RawSet()
    DumpSource(root).acquire(CONFIG, raw, NullProgress())
    return raw


def _collect(raw: RawSet, labels: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """n1's facts (JSON form) after the gpu and clock collectors, GFD ``labels`` known before."""
    known = Snapshot(site="lab", collected_at="")
    if labels is not None:  # what the nodes collector learned from the GFD labels
        known = Snapshot(site="lab", collected_at="", nodes={"n1": Node(gpu=Gpu.from_dict(labels))})
    errors = []
    for collector in (gpu.GpuCollector(), clock.ClockCollector()):
        facts = collector.collect(CollectContext(CONFIG, raw, known))
        known = assemble(known, facts)
        errors += [f"{f.collector}:{f.error}" for f in facts.failures if f.target == "n1"]
    n1 = known.nodes.get("n1")
    return ({} if n1 is None else n1.to_dict()), errors


def test_nvidia_smi_facts_replace_label_facts_entirely(tmp_path: Path) -> None:
    raw = _dump(tmp_path, "n1", {"nvidia-smi.xml": "nvidia-smi-qx__telegraf-dual-a5000-v13.xml"})
    facts, errors = _collect(raw, LABELS)
    assert facts["gpu"] == {
        "source": "nvidia-smi",
        "driver_version": "590.44.01",
        "cuda_version": "13.1",
        "devices": [{"name": "NVIDIA RTX A5000", "mig": False}] * 2,
        "count": 2,
        "product": "NVIDIA RTX A5000",
        "mig_strategy": "single",
        "error": None,
    }
    assert errors == []


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        (
            {
                "nvidia-smi.txt": "nvidia-smi-error__gpuoperator751-no-driver-exit9.txt",
                "nvidia-smi.txt.rc": b"9\n",
            },
            "driver-not-loaded",
            "NVIDIA driver not loaded",
        ),
        (
            {"nvidia-smi.txt": "nvidia-smi-error__gpuoperator751-no-driver-exit9.txt"},
            "driver-not-loaded",
            "NVIDIA driver not loaded",
        ),
        (
            {
                "nvidia-smi.xml": b"",
                # the sample itself becomes the stderr companion (copied when the test runs)
                "nvidia-smi.xml.stderr": "nvidia-smi-error__intel-llvm17614-nvml-mismatch.txt",
                "nvidia-smi.xml.rc": b"18\n",
            },
            "driver-library-mismatch",
            "driver/library version mismatch",
        ),
        (
            {
                "nvidia-smi.csv": "nvidia-smi-error__nvctk1227-nvml-unknown-in-container.txt",
                "nvidia-smi.csv.rc": b"255\n",
            },
            "nvml-unknown-error",
            "Unknown Error",
        ),
        (
            {"nvidia-smi.txt": b"No devices were found\n", "nvidia-smi.txt.rc": b"6\n"},
            "no-devices",
            "no GPU devices",
        ),
    ],
    ids=[
        "driver-not-loaded",
        "driver-not-loaded-no-rc-file",
        "nvml-mismatch-stderr",
        "nvml-unknown",
        "no-devices",
    ],
)
def test_gpu_errors_are_facts_and_failures(
    tmp_path: Path, files: dict[str, Any], error: str, message: str
) -> None:
    facts, errors = _collect(_dump(tmp_path, "n1", files))
    assert facts["gpu"]["error"] == error
    assert facts["gpu"]["driver_version"] is None
    assert len([e for e in errors if e.startswith("gpu:")]) == 1
    assert message in next(e for e in errors if e.startswith("gpu:"))


def test_gpu_error_keeps_label_facts_and_adds_the_error(tmp_path: Path) -> None:
    files = {
        "nvidia-smi.xml": "nvidia-smi-error__gpuoperator751-no-driver-exit9.txt",
        "nvidia-smi.xml.rc": b"9",
    }
    facts, _ = _collect(_dump(tmp_path, "n1", files), LABELS)
    assert facts["gpu"] == {**LABELS, "error": "driver-not-loaded"}


@pytest.mark.parametrize("labels", [None, LABELS], ids=["no-labels", "gfd-labels"])
def test_no_gpu_stack(tmp_path: Path, labels: dict[str, Any] | None) -> None:
    files = {
        "nvidia-smi.xml": b"",
        "nvidia-smi.xml.stderr": b"sh: 1: nvidia-smi: not found\n",
        "nvidia-smi.xml.rc": b"127",
    }
    facts, errors = _collect(_dump(tmp_path, "n1", files), labels)
    assert facts["gpu"] == (None if labels is None else LABELS)
    assert errors == ["gpu:nvidia-smi -q -x: nvidia-smi not found: no GPU stack on that node"]


def test_xml_without_driver_version_is_unknown_with_a_failure(tmp_path: Path) -> None:
    raw = _dump(tmp_path, "n1", {"nvidia-smi.xml": "nvidia-smi-qx__telegraf-gtx1070ti-trimmed.xml"})
    facts, errors = _collect(raw)
    assert facts["gpu"]["driver_version"] is None
    assert facts["gpu"]["devices"] == [{"name": "GeForce GTX 1070 Ti", "mig": False}]
    assert errors == ["gpu:nvidia-smi -q -x: no driver version in the output"]


def test_broken_xml_falls_back_to_the_table(tmp_path: Path) -> None:
    files = {
        "nvidia-smi.xml": b"<nvidia_smi_log><driver",
        "nvidia-smi.txt": "nvidia-smi-default__nvhtop-390-no-cuda-version.txt",
    }
    facts, errors = _collect(_dump(tmp_path, "n1", files))
    assert (
        facts["gpu"]["driver_version"],
        facts["gpu"]["cuda_version"],
        facts["gpu"]["count"],
    ) == ("390.25", None, 8)
    assert errors == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"chronyc-tracking.csv": "chrony-4.3-live/skewcli_csv_tracking.txt"},
            {"source": "chrony", "synchronized": True, "offset_seconds": -2.500014782},
        ),
        (
            {
                "chronyc-tracking.csv": b"",
                "chronyc-tracking.csv.stderr": b"506 Cannot talk to daemon\n",
                "chronyc-tracking.csv.rc": b"1",
                "timedatectl.txt": "timedatectl__lazypic49-centos7-ntp-synchronized-localrtc.txt",
            },
            {"source": None, "synchronized": True, "offset_seconds": None},
        ),
        (
            {"ntpq.txt": "ntpq-p__telegraf-single.txt"},
            {"source": "ntpd", "synchronized": True, "offset_seconds": -0.23301},
        ),
        (
            {"chronyc-tracking.txt": "chrony-tracking__notes-airgap-unsync.txt"},
            {"source": "chrony", "synchronized": False, "offset_seconds": None},
        ),
    ],
    ids=["chrony-csv-drifted", "chrony-down-timedatectl", "ntpq", "chrony-unsynced"],
)
def test_clock_sources_in_order(
    tmp_path: Path, files: dict[str, Any], expected: dict[str, Any]
) -> None:
    facts, errors = _collect(_dump(tmp_path, "n1", files))
    assert {k: facts["time"][k] for k in expected} == expected
    assert errors == []


def test_no_time_tool_at_all_is_one_failure(tmp_path: Path) -> None:
    files = {f: b"" for f in ("chronyc-tracking.csv", "timedatectl.txt", "ntpq.txt")} | {
        f"{f}.rc": b"127" for f in ("chronyc-tracking.csv", "timedatectl.txt", "ntpq.txt")
    }
    facts, errors = _collect(_dump(tmp_path, "n1", files))
    assert "time" not in facts
    assert errors == [
        "clock:no clock facts: chronyc -c tracking: not installed; "
        "LC_ALL=C timedatectl show 2>/dev/null || LC_ALL=C timedatectl: not installed; "
        "ntpq -pn: not installed"
    ]
