"""Which parser reads which node output file of the dump layout: the one map sources and collectors use."""

from __future__ import annotations

from collections.abc import Callable

from driftctl.dump_layout import NodeCommand
from driftctl.parsers import chrony, ntpq, nvidia_smi, timedatectl
from driftctl.parsers.nvidia_smi import GpuReading, NvidiaSmiParseError
from driftctl.parsers.time_reading import TimeParseError, TimeReading

GPU_PARSERS: dict[str, Callable[[bytes], GpuReading]] = {
    "nvidia-smi.xml": nvidia_smi.parse_xml,
    "nvidia-smi.csv": nvidia_smi.parse_csv,
    "nvidia-smi.txt": nvidia_smi.parse_text,
}
TIME_PARSERS: dict[str, Callable[[bytes], TimeReading]] = {
    "chronyc-tracking.csv": chrony.parse_tracking_csv,
    "chronyc-tracking.txt": chrony.parse_tracking_text,
    "timedatectl.txt": timedatectl.parse,
    "ntpq.txt": ntpq.parse,
}


def parse_gpu(file: str, data: bytes) -> GpuReading:
    """Parse a dump's nvidia-smi file ``file``; raises NvidiaSmiParseError when unreadable."""
    return GPU_PARSERS[file](data)


def parse_time(file: str, data: bytes) -> TimeReading:
    """Parse a dump's time file ``file``; raises TimeParseError when unreadable."""
    return TIME_PARSERS[file](data)


def gives_facts(cmd: NodeCommand, data: bytes) -> bool:
    """Whether an exit-0 output already gives its group's facts, so fallbacks can be skipped."""
    try:
        if cmd.group == "gpu":
            return parse_gpu(cmd.file, data).driver_version is not None
        parse_time(cmd.file, data)
        return True
    except (NvidiaSmiParseError, TimeParseError):
        return False
