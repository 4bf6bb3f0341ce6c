"""nvidia-smi outputs (XML ``-q -x``, ``--query-gpu`` CSV, the table, ``-q`` text) into GPU facts."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from driftctl.dump_layout import QUERY_GPU_FIELDS
from driftctl.snapshot import GpuDevice

MAX_BYTES = 16 * 1024 * 1024
VERSION_RE = re.compile(r"\d+(?:\.\d+)+")
DOCTYPE_RE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>", re.IGNORECASE)
# Driver 610+ says "KMD Version" / "CUDA UMD Version" where older ones say "Driver" / "CUDA".
TABLE_HEADER_RE = re.compile(r"NVIDIA-SMI\s+\d")
TABLE_DRIVER_RE = re.compile(r"(?:Driver|KMD) Version:\s*(\S+)")
TABLE_CUDA_RE = re.compile(r"CUDA (?:UMD )?Version:\s*(\S+)")
TABLE_DEVICE_RE = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(?:On|Off|WDDM|TCC)\s*\|")
Q_LINE_RE = re.compile(r"^(\s*)([^:]+?)\s*:\s*(.*)$")

# (error class, pattern, message); checked in order, the first match names the failure.
ERRORS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "driver-not-loaded",
        re.compile(r"couldn't communicate with the NVIDIA driver", re.I),
        "NVIDIA driver not loaded (nvidia-smi couldn't communicate with the driver)",
    ),
    (
        "driver-library-mismatch",
        re.compile(r"Driver/library version mismatch", re.I),
        "NVML driver/library version mismatch (reboot or reload the driver)",
    ),
    ("no-devices", re.compile(r"No devices were found", re.I), "no GPU devices were found"),
    (
        "nvml-unknown-error",
        re.compile(r"Failed to initialize NVML: Unknown Error", re.I),
        "NVML failed to initialize: Unknown Error (device access lost?)",
    ),
    (
        "nvml-init-failed",
        re.compile(r"Failed to initialize NVML", re.I),
        "NVML failed to initialize",
    ),
    ("no-permission", re.compile(r"Insufficient Permissions", re.I), "insufficient permissions"),
)
NOT_INSTALLED = "not-installed"


@dataclass(frozen=True)
class GpuReading:
    """What one nvidia-smi output says; ``problems`` are facts that could not be read."""

    driver_version: str | None
    cuda_version: str | None
    devices: tuple[GpuDevice, ...] = ()
    problems: tuple[str, ...] = field(default=())
    attached: int | None = None  # the XML's own <attached_gpus>, which may list fewer <gpu>

    @property
    def count(self) -> int:
        """GPUs on the node: what nvidia-smi says is attached, else the devices it lists."""
        return self.attached if self.attached is not None else len(self.devices)


class NvidiaSmiParseError(ValueError):
    """The output is not the nvidia-smi form it claims to be."""


def _version(value: str | None) -> str | None:
    """The first dotted version in ``value`` ("610.57.04 [Deprecated; …]" → "610.57.04")."""
    if not value:
        return None
    match = VERSION_RE.search(value)
    return match.group(0) if match else None


def _finish(
    driver: str | None, cuda: str | None, devices: list[GpuDevice], attached: int | None = None
) -> GpuReading:
    problems = [] if driver else ["no driver version in the output"]
    return GpuReading(driver, cuda, tuple(devices), tuple(problems), attached)


def classify_error(output: str, rc: int | None) -> tuple[str, str] | None:
    """(error class, one-line message) for a failed nvidia-smi run, None when not an error."""
    if rc == 127 or re.search(r"nvidia-smi: (?:command )?not found", output):
        return NOT_INSTALLED, "nvidia-smi not found: no GPU stack on that node"
    for cls, pattern, message in ERRORS:
        if pattern.search(output):
            return cls, message
    if rc not in (0, None):
        first = next((ln.strip() for ln in output.splitlines() if ln.strip()), "")
        return "nvidia-smi-failed", f"nvidia-smi exit {rc}" + (f": {first[:200]}" if first else "")
    return None


def parse_xml(data: bytes) -> GpuReading:
    """``nvidia-smi -q -x``; the DOCTYPE is dropped and entities refused, nothing is fetched."""
    if len(data) > MAX_BYTES:
        raise NvidiaSmiParseError(f"XML larger than {MAX_BYTES} bytes")
    body = DOCTYPE_RE.sub(b"", data, count=1)
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise NvidiaSmiParseError("XML with a DTD or entities is refused")
    try:
        root = ET.fromstring(body)  # noqa: S314 -- no DTD left, so no entity expansion
    except ET.ParseError as exc:
        raise NvidiaSmiParseError(f"not XML: {exc}") from exc
    if root.tag != "nvidia_smi_log":
        raise NvidiaSmiParseError(f"root element is <{root.tag}>, not <nvidia_smi_log>")
    driver = _version(root.findtext("driver_version")) or _version(root.findtext("kmd_version"))
    cuda = _version(root.findtext("cuda_version")) or _version(root.findtext("cuda_umd_version"))
    devices = [
        GpuDevice(
            name=(gpu.findtext("product_name") or "").strip() or "unknown",
            mig=(gpu.findtext("mig_mode/current_mig") or "").strip().lower() == "enabled",
        )
        for gpu in root.findall("gpu")
    ]
    attached_text = (root.findtext("attached_gpus") or "").strip()
    attached = int(attached_text) if attached_text.isdigit() else None
    if attached is not None and attached < len(devices):
        attached = None  # a count below what is listed is not believed
    return _finish(driver, cuda, devices, attached)


def _csv_rows(text: str) -> list[dict[str, str]]:
    rows = [r for r in csv.reader(io.StringIO(text), skipinitialspace=True) if r]
    if not rows:
        return []
    head = [re.sub(r"\s*\[.*\]$", "", h.strip()) for h in rows[0]]
    # A header names its columns; driftctl's own noheader rows start with the GPU index instead.
    if {"name", "driver_version", "kmd_version"} & set(head):
        body = rows[1:]
    else:  # --format=csv,noheader: the columns are the ones driftctl asks for
        head, body = QUERY_GPU_FIELDS.split(","), rows
    return [dict(zip(head, (c.strip() for c in row), strict=False)) for row in body]


def parse_csv(data: bytes) -> GpuReading:
    """``nvidia-smi --query-gpu=…--format=csv`` (header optional); it never reports CUDA."""
    rows = _csv_rows(data.decode("utf-8", errors="replace"))
    if not rows or not any("name" in r for r in rows):
        raise NvidiaSmiParseError("no GPU rows with a name column")
    driver = next(
        (
            v
            for r in rows
            if (v := _version(r.get("driver_version")) or _version(r.get("kmd_version")))
        ),
        None,
    )
    devices = [
        GpuDevice(r.get("name", "unknown"), r.get("mig.mode.current", "").lower() == "enabled")
        for r in rows
    ]
    return _finish(driver, None, devices)


def _parse_query_text(text: str) -> GpuReading:
    """``nvidia-smi -q``: "Driver Version : 610.57.04 [Deprecated …]" and friends."""
    top: dict[str, str] = {}
    devices: list[GpuDevice] = []
    name, in_mig = None, False
    for line in text.splitlines():
        if line.startswith("GPU "):
            if name is not None:
                devices.append(GpuDevice(name, False))
            name, in_mig = "unknown", False
            continue
        match = Q_LINE_RE.match(line)
        if not match:
            in_mig = line.strip() == "MIG Mode"
            continue
        indent, key, value = len(match.group(1)), match.group(2), match.group(3).strip()
        if indent == 0:
            top[key] = value
        elif key == "Product Name" and name is not None:
            name = value
        elif in_mig and key == "Current" and name is not None:
            devices.append(GpuDevice(name, value.lower() == "enabled"))
            name, in_mig = None, False
    if name is not None:
        devices.append(GpuDevice(name, False))
    driver = _version(top.get("KMD Version")) or _version(top.get("Driver Version"))
    cuda = _version(top.get("CUDA UMD Version")) or _version(top.get("CUDA Version"))
    return _finish(driver, cuda, devices)


def parse_text(data: bytes) -> GpuReading:
    """The plain ``nvidia-smi`` table (or ``nvidia-smi -q`` text, which dumps sometimes hold)."""
    text = data.decode("utf-8", errors="replace")
    if "NVSMI LOG" in text:
        return _parse_query_text(text)
    header = next((ln for ln in text.splitlines() if TABLE_HEADER_RE.search(ln)), None)
    if header is None:
        raise NvidiaSmiParseError("no 'NVIDIA-SMI' header line")
    driver_m, cuda_m = TABLE_DRIVER_RE.search(header), TABLE_CUDA_RE.search(header)
    driver = _version(driver_m.group(1)) if driver_m else None
    cuda = _version(cuda_m.group(1)) if cuda_m else None  # "N/A" and pre-410 drivers → None
    devices: list[GpuDevice] = []
    block: list[str] = []
    gpu_table = True
    for line in text.splitlines():
        if "MIG devices:" in line or "Processes:" in line:
            gpu_table = False
        if not gpu_table:
            continue
        match = TABLE_DEVICE_RE.match(line)
        if match:
            block = [line]
            devices.append(GpuDevice(match.group(2).strip(), False))
        elif block and line.startswith("|"):
            block.append(line)
            last_cell = line.rstrip().rstrip("|").rsplit("|", 1)[-1].strip()
            if last_cell == "Enabled":
                devices[-1] = GpuDevice(devices[-1].name, True)
        else:
            block = []
    return _finish(driver, cuda, devices)
