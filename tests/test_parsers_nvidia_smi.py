"""nvidia-smi parsers over every recorded real output in shared/realdata."""

from __future__ import annotations

import pytest
from realdata_kit import real

from driftctl.parsers import nvidia_smi
from driftctl.parsers.node_outputs import parse_gpu as parse_file
from driftctl.parsers.nvidia_smi import NvidiaSmiParseError, classify_error

# file, dump name, driver, cuda, number of devices, first device name, any MIG
GOOD = [
    (
        "nvidia-smi-qx__netdata-a100-40gb-mig-510.xml",
        "xml",
        "510.47.03",
        "11.6",
        1,
        "NVIDIA A100-SXM4-40GB",
        True,
    ),
    (
        "nvidia-smi-qx__netdata-rtx2080-win-516.xml",
        "xml",
        "516.59",
        "11.7",
        1,
        "NVIDIA GeForce RTX 2080",
        False,
    ),
    (
        "nvidia-smi-qx__telegraf-a100-sxm4-mig.xml",
        "xml",
        "535.54.03",
        "12.2",
        1,
        "NVIDIA A100-SXM4-80GB",
        True,
    ),
    (
        "nvidia-smi-qx__telegraf-dual-a5000-v13.xml",
        "xml",
        "590.44.01",
        "13.1",
        2,
        "NVIDIA RTX A5000",
        False,
    ),
    (
        "nvidia-smi-qx__telegraf-quadro-p400-418.xml",
        "xml",
        "418.43",
        "10.1",
        1,
        "Quadro P400",
        False,
    ),
    (
        "nvidia-smi-qx__telegraf-rtx3080-595-v13.xml",
        "xml",
        "595.58.03",
        "13.2",
        1,
        "NVIDIA GeForce RTX 3080",
        False,
    ),
    (
        "nvidia-smi-qx__telegraf-rtx3080-windows-536.xml",
        "xml",
        "536.40",
        "12.2",
        1,
        "NVIDIA GeForce RTX 3080",
        False,
    ),
    (
        "nvidia-smi-querygpu-csv__gpuexp-h100-mig-590.csv",
        "csv",
        "590.48.01",
        None,
        1,
        "NVIDIA H100 80GB HBM3",
        True,
    ),
    (
        "nvidia-smi-querygpu-csv__gpuexp-rtx2080s-610.csv",
        "csv",
        "610.57.04",
        None,
        1,
        "NVIDIA GeForce RTX 2080 SUPER",
        False,
    ),
    (
        "nvidia-smi-querygpu-csv__gpuexp-testdata-2gpu.csv",
        "csv",
        "466.63",
        None,
        2,
        "NVIDIA GeForce RTX 2080 SUPER",
        False,
    ),
    (
        "nvidia-smi-default__gpuexp-h100-mig-590.txt",
        "txt",
        "590.48.01",
        "13.1",
        1,
        "NVIDIA H100 80GB HBM3",
        True,
    ),
    (
        "nvidia-smi-default__gpuexp-h200-load-590.txt",
        "txt",
        "590.48.01",
        "13.1",
        1,
        "NVIDIA H200",
        False,
    ),
    (
        "nvidia-smi-default__gpuexp-h200-mig-590.txt",
        "txt",
        "590.48.01",
        "13.1",
        1,
        "NVIDIA H200",
        True,
    ),
    (
        "nvidia-smi-default__gpuexp-rtx2080s-610.txt",
        "txt",
        "610.57.04",
        "13.3",
        1,
        "NVIDIA GeForce RTX 2080 ...",
        False,
    ),
    (
        "nvidia-smi-default__gpuexp-win-rtx2080s-591.86.txt",
        "txt",
        "591.86",
        "13.1",
        1,
        "NVIDIA GeForce RTX 2080 ...",
        False,
    ),
    (
        "nvidia-smi-default__k8s-migmanager-pod-470-cuda-na.txt",
        "txt",
        "470.82.01",
        None,
        1,
        "NVIDIA A100-PCI...",
        False,
    ),
    (
        "nvidia-smi-default__notes-470-2gpu-procs.txt",
        "txt",
        "470.57.02",
        "11.4",
        2,
        "NVIDIA GeForce ...",
        False,
    ),
    (
        "nvidia-smi-default__nvhtop-390-no-cuda-version.txt",
        "txt",
        "390.25",
        None,
        8,
        "GeForce GTX 108...",
        False,
    ),
    (
        "nvidia-smi-default__nvhtop-440-docker.txt",
        "txt",
        "440.82",
        "10.2",
        2,
        "GeForce GTX 108...",
        False,
    ),
    (
        "nvidia-smi-q__gpuexp-h100-mig-590.txt",
        "txt",
        "590.48.01",
        "13.1",
        1,
        "NVIDIA H100 80GB HBM3",
        True,
    ),
    (
        "nvidia-smi-q__gpuexp-rtx2080s-610-deprecated-fields.txt",
        "txt",
        "610.57.04",
        "13.3",
        1,
        "NVIDIA GeForce RTX 2080 SUPER",
        False,
    ),
]


@pytest.mark.parametrize(
    ("file", "kind", "driver", "cuda", "count", "first", "mig"), GOOD, ids=[g[0] for g in GOOD]
)
def test_real_outputs_parse(
    file: str, kind: str, driver: str, cuda: str | None, count: int, first: str, mig: bool
) -> None:
    reading = parse_file(f"nvidia-smi.{kind}", real(file).read_bytes())
    assert reading.driver_version == driver
    assert reading.cuda_version == cuda
    assert len(reading.devices) == count
    assert reading.devices[0].name == first
    assert any(d.mig for d in reading.devices) is mig
    assert reading.problems == ()


def test_xml_without_driver_version_is_unknown_not_guessed() -> None:
    data = real("nvidia-smi-qx__telegraf-gtx1070ti-trimmed.xml").read_bytes()
    reading = nvidia_smi.parse_xml(data)
    assert reading.driver_version is None and reading.cuda_version is None
    assert [d.name for d in reading.devices] == ["GeForce GTX 1070 Ti"]
    assert reading.problems == ("no driver version in the output",)


ERRORS = [
    ("nvidia-smi-error__gpuoperator751-no-driver-exit9.txt", 9, "driver-not-loaded"),
    ("nvidia-smi-error__intel-llvm17614-nvml-mismatch.txt", 18, "driver-library-mismatch"),
    ("nvidia-smi-error__nvctk1227-nvml-unknown-in-container.txt", 255, "nvml-unknown-error"),
]


@pytest.mark.parametrize(("file", "rc", "cls"), ERRORS, ids=[e[0] for e in ERRORS])
def test_real_errors_are_classified(file: str, rc: int, cls: str) -> None:
    text = real(file).read_text()
    found = classify_error(text, rc)
    assert found is not None and found[0] == cls
    assert "\n" not in found[1]
    with pytest.raises(NvidiaSmiParseError):
        nvidia_smi.parse_text(text.encode())


@pytest.mark.parametrize(
    ("output", "rc", "cls"),
    [
        ("bash: line 1: nvidia-smi: command not found\n", 127, "not-installed"),
        ("No devices were found\n", 6, "no-devices"),
        ("Segmentation fault\n", 139, "nvidia-smi-failed"),
        ("all good\n", 0, None),
    ],
    ids=["not-found", "no-devices", "other-exit", "success"],
)
def test_classify_error_shapes(output: str, rc: int, cls: str | None) -> None:
    found = classify_error(output, rc)
    assert (found[0] if found else None) == cls


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><nvidia_smi_log>&a;</nvidia_smi_log>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>',
        b"<nvidia_smi_log><driver_version>1.2</driver_version>",
        b"not xml at all",
    ],
    ids=["internal-entity", "external-dtd-wrong-root", "truncated", "garbage"],
)
def test_hostile_or_broken_xml_is_refused(data: bytes) -> None:
    with pytest.raises(NvidiaSmiParseError):
        nvidia_smi.parse_xml(data)


def test_oversized_xml_is_refused() -> None:
    with pytest.raises(NvidiaSmiParseError, match="larger than"):
        nvidia_smi.parse_xml(b" " * (nvidia_smi.MAX_BYTES + 1))


def test_csv_without_header_uses_driftctl_query_columns() -> None:
    data = b"0, NVIDIA H100 80GB HBM3, 550.54.15, Enabled, GPU-1\n1, NVIDIA H100 80GB HBM3, 550.54.15, Disabled, GPU-2\n"
    reading = nvidia_smi.parse_csv(data)
    assert reading.driver_version == "550.54.15"
    assert [d.mig for d in reading.devices] == [True, False]
