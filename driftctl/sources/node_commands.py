"""The fixed node commands and the dump file each writes (design §6); never built from config."""

from __future__ import annotations

from dataclasses import dataclass

QUERY_GPU_FIELDS = "index,name,driver_version,mig.mode.current,uuid"


@dataclass(frozen=True)
class NodeCommand:
    """One command run on a node; ``group`` commands are fallbacks: the first success wins."""

    file: str
    command: str
    group: str


# Order inside a group is the fallback order (issue 4): XML, then CSV, then the plain table.
NODE_COMMANDS: tuple[NodeCommand, ...] = (
    NodeCommand("nvidia-smi.xml", "nvidia-smi -q -x", "gpu"),
    NodeCommand("nvidia-smi.csv", f"nvidia-smi --query-gpu={QUERY_GPU_FIELDS} --format=csv", "gpu"),
    NodeCommand("nvidia-smi.txt", "nvidia-smi", "gpu"),
    NodeCommand("chronyc-tracking.csv", "chronyc -c tracking", "time"),
    NodeCommand("chronyc-tracking.txt", "chronyc tracking", "time"),
    # systemd before 239 has no `show`: the plain layout (same file, design §6) is the fallback.
    NodeCommand(
        "timedatectl.txt", "LC_ALL=C timedatectl show 2>/dev/null || LC_ALL=C timedatectl", "time"
    ),
    NodeCommand("ntpq.txt", "ntpq -pn", "time"),
)
