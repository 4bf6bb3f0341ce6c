"""Every real sample with a truth in its INDEX, collected as a one-node dump, gives exactly that truth.

The truths below were written by reading ``shared/realdata/INDEX.md``, ``extra/INDEX.md`` and
``external/INDEX.md`` (never parsed at run time). A field an INDEX does not give is ``ANY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import collect_dump, one_node_dump, real

ANY: Any = object()  # the INDEX says nothing about this field


@dataclass(frozen=True)
class Gpu:
    """``nodes[n].gpu`` truth. ``names`` in order; a name ending in ``...`` is a printed prefix."""

    driver: str | None
    cuda: str | None
    names: tuple[str, ...] | Any = ANY
    mig: bool | Any = ANY  # any device with MIG mode current Enabled
    count: int | Any = ANY  # defaults to len(names)


@dataclass(frozen=True)
class GpuError:
    """The output is a failure: no facts, the gpu error class."""

    error: str


@dataclass(frozen=True)
class Time:
    """``nodes[n].time`` truth (offset positive = local clock ahead)."""

    synced: bool
    offset: float | Any | None = ANY
    stratum: int | Any | None = ANY
    leap: str | Any | None = ANY
    reference: str | Any | None = ANY
    delay: float | Any = ANY
    dispersion: float | Any = ANY
    source: str | Any | None = ANY


def _dump_file(sample: str) -> str:
    """The dump file a sample stands for, from the command the INDEX names for it."""
    name = sample.rsplit("/", 1)[-1]
    if name.endswith(".xml"):
        return "nvidia-smi.xml"
    if name.endswith(".csv"):
        return "nvidia-smi.csv"
    if name.startswith(("nvsmi-table", "nvidia-smi-")):
        return "nvidia-smi.txt"
    if name.startswith("chrony-tracking"):
        return "chronyc-tracking.txt"
    if name.startswith("timedatectl"):
        return "timedatectl.txt"
    if name.startswith("ntpq-p"):
        return "ntpq.txt"
    raise AssertionError(f"no dump file for {sample}")


def _check(sample: str, truth: Gpu | GpuError | Time, tmp: Path) -> None:
    snapshot = collect_dump(one_node_dump(tmp, {_dump_file(sample): real(sample)}))
    node = snapshot["nodes"].get("n1", {})
    if isinstance(truth, GpuError):
        assert node["gpu"]["error"] == truth.error
        assert node["gpu"].get("driver_version") is None
        return
    if isinstance(truth, Gpu):
        gpu = node["gpu"]
        for key, want in (("driver_version", truth.driver), ("cuda_version", truth.cuda)):
            if want is not ANY:
                assert gpu[key] == want, (key, gpu[key], want)
        assert gpu["error"] is None
        names = [d["name"] for d in gpu["devices"]]
        if truth.names is not ANY:
            assert len(names) == len(truth.names), names
            for got, want in zip(names, truth.names, strict=True):
                if want.endswith("..."):  # the table cut the name: only the prefix is asserted
                    assert got.startswith(want[:-3].rstrip()), (got, want)
                else:
                    assert got == want
        count = truth.count
        if count is ANY and truth.names is not ANY:
            count = len(truth.names)
        if count is not ANY:
            assert gpu["count"] == count
        if truth.mig is not ANY:
            assert any(d["mig"] for d in gpu["devices"]) is truth.mig
        return
    time = node["time"]
    assert time["synchronized"] is truth.synced
    expected = {
        "offset_seconds": truth.offset,
        "stratum": truth.stratum,
        "leap_status": truth.leap,
        "reference": truth.reference,
        "root_delay": truth.delay,
        "root_dispersion": truth.dispersion,
        "source": truth.source,
    }
    for key, want in expected.items():
        if want is not ANY:
            assert time.get(key) == want, (key, time.get(key), want)


# -- external/INDEX.md: all 43 samples, truth column ---------------------------------------------

E = "external/"
EXTERNAL: dict[str, Gpu | GpuError | Time] = {
    E + "nvsmi-qx__rai-gridk520-352.99-dtd-v7.xml": Gpu("352.99", None, ("GRID K520",)),
    E + "nvsmi-qx__rai-gridk520-352.99-inline-dtd.xml": Gpu("352.99", None, ("GRID K520",)),
    E + "nvsmi-qx__itnovum-4x-tesla-m10-390.94-vgpu-host.xml": Gpu(
        "390.94", None, ("Tesla M10",) * 4
    ),
    E + "nvsmi-qx__a0s-quadro-p2000-418.56-dtd-v10.xml": Gpu("418.56", "10.1", ("Quadro P2000",)),
    E + "nvsmi-qx__a0s-2x-gtx1080-460.27.04.xml": Gpu(
        "460.27.04", "11.2", ("GeForce GTX 1080",) * 2
    ),
    E + "nvsmi-qx__netdata-tesla-p100-510.47.03.xml": Gpu(
        "510.47.03", "11.6", ("Tesla P100-PCIE-16GB",)
    ),
    E + "nvsmi-qx__netdata-rtx3060-laptop-515.65.01.xml": Gpu(
        "515.65.01", "11.7", ("NVIDIA GeForce RTX 3060 Laptop GPU",)
    ),
    E + "nvsmi-qx__telegraf-a10g-515.105.01.xml": Gpu("515.105.01", "11.7", ("NVIDIA A10G",)),
    E + "nvsmi-qx__telegraf-quadro-p2000-525.125.06.xml": Gpu(
        "525.125.06", "12.0", ("Quadro P2000",)
    ),
    E + "nvsmi-qx__telegraf-rtx3090-525.147.05.xml": Gpu(
        "525.147.05", "12.0", ("NVIDIA GeForce RTX 3090",)
    ),
    E + "nvsmi-qx__telegraf-rtx3060-570.124.04.xml": Gpu(
        "570.124.04", "12.8", ("NVIDIA GeForce RTX 3060",)
    ),
    E + "nvsmi-qx__telegraf-rtx4000-sff-ada-595.84-v13.xml": Gpu(
        "595.84", "13.2", ("NVIDIA RTX 4000 SFF Ada Generation",)
    ),
    E + "nvsmi-table__nvhtop-gridk520-346.46-no-cuda.txt": Gpu("346.46", None, ("GRID K520",)),
    E + "nvsmi-table__gpuexp-h100-80gb-590.48.01.txt": Gpu(
        "590.48.01", "13.1", ("NVIDIA H100 80GB HBM3",), mig=False
    ),
    E + "nvsmi-table__gpuexp-rtx4080s-595.71.05-truncated-name.txt": Gpu(
        "595.71.05", "13.2", ("NVIDIA GeForce RTX 4080 ...",)
    ),
    E + "nvsmi-table__gpuexp-h200-mig-590.48.01-load.txt": Gpu(
        "590.48.01", "13.1", ("NVIDIA H200",), mig=True
    ),
    E + "nvsmi-table__gpud-a10-550.127.05.txt": Gpu("550.127.05", "12.4", ("NVIDIA A10",)),
    E + "nvsmi-table__thamada-10x-a40-550.127.05.txt": Gpu(
        "550.127.05", "12.4", ("NVIDIA A40",) * 10
    ),
    E + "nvsmi-csv__gpuexp-rtx4080s-595.71.05-wide-query.csv": Gpu(
        "595.71.05", None, ("NVIDIA GeForce RTX 4080 SUPER",), mig=False
    ),
    E + "chrony-tracking__telegraf2016-chrony2x-ip-refid-fast.txt": Time(
        True, 0.000020390, 3, "Normal", "ntp.example.com", 0.001655, 0.003307, "chrony"
    ),
    E + "chrony-tracking__nelisys-ubuntu2004-fast.txt": Time(
        True, 0.001983523, 3, "Normal", "s180.blued.co.th"
    ),
    E + "chrony-tracking__josina-lan-server-fast.txt": Time(
        True, 0.000000034, 3, "Normal", "192.168.0.115"
    ),
    E + "chrony-tracking__scalenet-pr121-server2-fast.txt": Time(
        True, 0.000260112, 3, "Normal", "ntp1.bytestacker.com"
    ),
    E + "chrony-tracking__ag6qr-stratum1-pps.txt": Time(True, 0.000000072, 1, "Normal", "PPS"),
    E + "ntpq-pn__jc-centos77-selected.txt": Time(
        True, -0.000231, 3, ANY, "72.5.72.15", source="ntpd"
    ),
    E + "ntpq-pn__jc-ubuntu1804-pool-cdma-stratum1.txt": Time(
        True, 0.065938, 2, ANY, "209.51.161.238"
    ),
    E + "ntpq-p__jc-ubuntu1804-names-hash-tally.txt": Time(
        True, -0.000473, 2, ANY, "ntp2.wiktel.com"
    ),
    E + "ntpq-p__jc-centos77-just-started-no-peer.txt": Time(False, None, None, ANY, None),
    E + "ntpq-p__jc-freebsd12-no-peer-huge-offset.txt": Time(False, None, None, ANY, None),
    E + "ntpq-pn__insights-ipv6-gps.txt": Time(True, -0.001939, 2, ANY, "2001:388:608c:8"),
    E + "ntpq-pn__insights-init-stratum16-only.txt": Time(False, None, None, ANY, None),
    E + "ntpq-p__alphagov-pr621-local-clock-5d.txt": Time(
        True, 0.026064, 3, ANY, "time.euro.apple"
    ),
    E + "ntpq-p__naparuba16-offset-column-overflow.txt": Time(
        True, 0.12238, 3, ANY, "ns1.admincmd.co"
    ),
    # timedatectl: synchronised or not; offset and stratum are not in the output.
    E + "timedatectl__jc-centos77-systemd219-dst.txt": Time(True, None, None),
    E + "timedatectl__jc-ubuntu1804-systemd237-timesyncd-active.txt": Time(True, None, None),
    E + "timedatectl__jc-rtc-local-warning.txt": Time(True, None, None),
    E + "timedatectl__insights-rhel-modern-synced.txt": Time(True, None, None),
    # RHEL 7 runs chronyd: nothing in the output names a daemon, so no source is claimed.
    E + "timedatectl__insights-rhel7-dst-ended.txt": Time(True, None, None, source=None),
    E + "timedatectl-show__qcif-ubuntu2004-ntp-off-unsynced.txt": Time(False, None, None),
    # chronyd runs there (per the INDEX), the output says only "NTP service: n/a".
    E + "timedatectl__balena1852-chrony-running-unsynced-na.txt": Time(
        False, None, None, source=None
    ),
    E + "timedatectl__cb2-135-rtc-2017-unsynced-active.txt": Time(False, None, None),
    E + "timedatectl__lynis274-systemd231-network-time-on.txt": Time(True, None, None),
    E + "timedatectl__systemd18854-ntp-inactive-synced.txt": Time(True, None, None),
}


@pytest.mark.parametrize("sample", sorted(EXTERNAL), ids=lambda s: s.removeprefix(E))
def test_external_index_truth(sample: str, tmp_path: Path) -> None:
    _check(sample, EXTERNAL[sample], tmp_path)


def test_external_table_covers_the_whole_set() -> None:
    folder = real("external/INDEX.md").parent
    on_disk = {E + p.name for p in folder.iterdir() if p.name != "INDEX.md"}
    assert on_disk == set(EXTERNAL)
    assert len(EXTERNAL) == 43


# -- extra/INDEX.md: the samples a node-fact parser reads, truths from the notes column ------------

X = "extra/"
EXTRA: dict[str, Gpu | GpuError | Time] = {
    X + "nvidia-smi-qx__telegraf-gtx1660ti-418.xml": Gpu("418.43", "10.1", ("Graphics Device",)),
    X + "nvidia-smi-qx__telegraf-tesla-t4-515.xml": Gpu("515.105.01", "11.7", ("Tesla T4",)),
    X + "nvidia-smi-qx__telegraf-rtxpro6000-blackwell-v13.xml": Gpu(
        ANY, ANY, ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",)
    ),
    X + "nvidia-smi-default__gpuexp-l40s-595.80.txt": Gpu("595.80", ANY, ("NVIDIA L40S",)),
    X + "nvidia-smi-default__gpuexp-win-rtx2080s-610.62.txt": Gpu(
        "610.62", ANY, ("NVIDIA GeForce RTX 2080 ...",)
    ),
    X + "nvidia-smi-qx__netdata-rtx4090-535.xml": Gpu(
        "535.86.05", "12.2", ("NVIDIA GeForce RTX 4090",)
    ),
    X + "nvidia-smi-querygpu-csv__netdata-tesla-p100.csv": Gpu(
        None, None, ("Tesla P100-PCIE-16GB",)
    ),
    X + "nvidia-smi-default__nvhtop-450-2gpu.txt": Gpu(
        "450.57", "11.0", ("GeForce RTX 2070", "GeForce GTX 750 Ti")
    ),
    X + "nvidia-smi-error__tinygrad-ogkm47-nvml-mismatch-570.txt": GpuError(
        "driver-library-mismatch"
    ),
    X + "nvidia-smi-error__ogkm862-no-devices.txt": GpuError("no-devices"),
    X + "chrony-tracking__omnios2576-7s-slow.txt": Time(True, leap="Normal"),
    X + "chrony-tracking__rockstor2098-opensuse-ip-name.txt": Time(
        True, reference="85.199.214.100"
    ),
    X + "chrony-tracking__tidb-insight57-nict.txt": Time(True),
    X + "timedatectl__rocky-vagrant-unsync-localrtc.txt": Time(False, None, None),
    X + "timedatectl__nixos-364925-argentina-synced.txt": Time(True, None, None),
    # systemd 236-238 names the daemon itself: "systemd-timesyncd.service active: yes".
    X + "timedatectl__dietpi1661-systemd238-timesyncd-active.txt": Time(
        True, None, None, source="timesyncd"
    ),
    X + "ntpq-p__perfsonar259-step-stratum16.txt": Time(True, reference="zg1.ntp.CARNet."),
    X + "ntpq-pn__ansible-ntp85-pool.txt": Time(True),
}


@pytest.mark.parametrize("sample", sorted(EXTRA), ids=lambda s: s.removeprefix(X))
def test_extra_index_truth(sample: str, tmp_path: Path) -> None:
    _check(sample, EXTRA[sample], tmp_path)


def test_omnios_drift_is_seven_point_eight_seconds_slow(tmp_path: Path) -> None:
    """extra/INDEX.md: 'System time 7.81 s SLOW' while Leap status says Normal."""
    sample = X + "chrony-tracking__omnios2576-7s-slow.txt"
    time = collect_dump(one_node_dump(tmp_path, {_dump_file(sample): real(sample)}))
    assert round(time["nodes"]["n1"]["time"]["offset_seconds"], 2) == -7.81


# -- INDEX.md (the original set): samples whose notes give the facts -------------------------------

ORIGINAL: dict[str, Gpu | GpuError | Time] = {
    "nvidia-smi-qx__netdata-a100-40gb-mig-510.xml": Gpu(
        "510.47.03", "11.6", ("NVIDIA A100-SXM4-40GB",), mig=True
    ),
    "nvidia-smi-qx__netdata-rtx2080-win-516.xml": Gpu("516.59", "11.7"),
    # "4x A100-SXM4-80GB": attached_gpus says 4, the trimmed fixture lists one <gpu>.
    "nvidia-smi-qx__telegraf-a100-sxm4-mig.xml": Gpu(
        "535.54.03", "12.2", ("NVIDIA A100-SXM4-80GB",), mig=True, count=4
    ),
    "nvidia-smi-qx__telegraf-quadro-p400-418.xml": Gpu("418.43", "10.1", ("Quadro P400",)),
    "nvidia-smi-qx__telegraf-rtx3080-595-v13.xml": Gpu("595.58.03", "13.2"),
    "nvidia-smi-qx__telegraf-rtx3080-windows-536.xml": Gpu("536.40", "12.2"),
    "nvidia-smi-qx__telegraf-dual-a5000-v13.xml": Gpu(ANY, ANY, ("NVIDIA RTX A5000",) * 2),
    "nvidia-smi-default__gpuexp-h100-mig-590.txt": Gpu("590.48.01", "13.1", mig=True),
    "nvidia-smi-q__gpuexp-h100-mig-590.txt": Gpu("590.48.01", "13.1", mig=True),
    "nvidia-smi-default__gpuexp-h200-load-590.txt": Gpu("590.48.01", "13.1"),
    "nvidia-smi-default__gpuexp-h200-mig-590.txt": Gpu(ANY, ANY, mig=True),
    "nvidia-smi-default__gpuexp-win-rtx2080s-591.86.txt": Gpu("591.86", ANY),
    "nvidia-smi-default__gpuexp-rtx2080s-610.txt": Gpu("610.57.04", "13.3"),
    "nvidia-smi-q__gpuexp-rtx2080s-610-deprecated-fields.txt": Gpu("610.57.04", "13.3"),
    "nvidia-smi-querygpu-csv__gpuexp-testdata-2gpu.csv": Gpu(
        "466.63", None, ("NVIDIA GeForce RTX 2080 SUPER", "Some Other GPU")
    ),
    "nvidia-smi-default__nvhtop-390-no-cuda-version.txt": Gpu("390.25", None),
    "nvidia-smi-default__nvhtop-440-docker.txt": Gpu("440.82", "10.2", count=2),
    "nvidia-smi-default__k8s-migmanager-pod-470-cuda-na.txt": Gpu("470.82.01", None, mig=False),
    "nvidia-smi-default__notes-470-2gpu-procs.txt": Gpu("470.57.02", "11.4", count=2),
    "nvidia-smi-error__gpuoperator751-no-driver-exit9.txt": GpuError("driver-not-loaded"),
    "nvidia-smi-error__intel-llvm17614-nvml-mismatch.txt": GpuError("driver-library-mismatch"),
    "nvidia-smi-error__nvctk1227-nvml-unknown-in-container.txt": GpuError("nvml-unknown-error"),
    "chrony-tracking__chrony-doc-example.txt": Time(
        True, leap="Normal", reference="ntp1.example.net"
    ),
    "chrony-tracking__notes-airgap-unsync.txt": Time(
        False, None, 0, "Not synchronised", None, 1.0, 1.0, "chrony"
    ),
    "chrony-tracking__rms624-just-started-huge-dispersion.txt": Time(True, leap="Normal"),
    "timedatectl__systemd-man-synced.txt": Time(True, None, None, source=None),
    "timedatectl__bigtreetech-cb1-188-unsync-inactive.txt": Time(False, None, None),
    "timedatectl__lazypic49-centos7-ntp-synchronized-localrtc.txt": Time(True, None, None),
    "timedatectl__deis2563-coreos-2014.txt": Time(True, None, None),
    "timedatectl__nixpkgs19339-network-time-on.txt": Time(True, None, None),
    "timedatectl-show__opentrons-fixture.txt": Time(False, None, None),
    "ntpq-p__telegraf-multi.txt": Time(False, None, None, ANY, None),
    "ntpq-p__telegraf-pool-when-minus.txt": Time(False, None, None, ANY, None),
    "ntpq-p__telegraf-single.txt": Time(True, reference="uschi5-ntp-002."),
}


@pytest.mark.parametrize("sample", sorted(ORIGINAL), ids=str)
def test_original_index_truth(sample: str, tmp_path: Path) -> None:
    _check(sample, ORIGINAL[sample], tmp_path)


def test_root_dispersion_of_a_just_started_chrony_is_kept(tmp_path: Path) -> None:
    """INDEX.md: Leap status Normal, yet Root dispersion 47.99 s; the error bound shows it."""
    sample = "chrony-tracking__rms624-just-started-huge-dispersion.txt"
    time = collect_dump(one_node_dump(tmp_path, {_dump_file(sample): real(sample)}))
    facts = time["nodes"]["n1"]["time"]
    assert round(facts["root_dispersion"], 2) == 47.99
    assert facts["error_bound_seconds"] > 47
