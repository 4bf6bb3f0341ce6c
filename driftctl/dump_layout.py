"""The dump directory's shape, in one place: paths, node commands and their files, names allowed.

Every source writes artifacts under these paths, every collector reads them from there, the
dump script runs exactly these node commands, and the bundle writer keeps them as evidence
(see docs/dump-layout.md). Nothing here imports from the rest of driftctl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- names ---------------------------------------------------------------------------------------

SITE_ID = r"[a-z0-9][a-z0-9-]{0,62}"
SITE_ID_PATTERN = rf"^{SITE_ID}$"
SITE_ID_RE = re.compile(SITE_ID_PATTERN)
# One path component of a dump file or bundle member: what the bundle writer accepts, so a name
# it would refuse is a recorded failure when the dump is read, never a lost bundle.
COMPONENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
COMPONENT_RE = re.compile(rf"^{COMPONENT}$")
# A node name as a dump directory (Kubernetes allows 253 characters in a node name).
NODE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")

# -- Kubernetes part -----------------------------------------------------------------------------

KUBE_DIR = "kubernetes"
NODES_DIR = "nodes"
VERSION_PATH = f"{KUBE_DIR}/version.json"
NAMESPACE_PATH = f"{KUBE_DIR}/namespace-kube-system.json"
NODES_PATH = f"{KUBE_DIR}/nodes.json"
WORKLOADS_PATH = f"{KUBE_DIR}/workloads.json"
PODS_PATH = f"{KUBE_DIR}/pods.json"
HELM_SECRETS_PATH = f"{KUBE_DIR}/helm-secrets.json"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")

# -- node part -----------------------------------------------------------------------------------

# Companion files of ``<file>``: the command's stderr and exit status, present when it was not 0.
STDERR_SUFFIX = ".stderr"
RC_SUFFIX = ".rc"
COMPANIONS = (STDERR_SUFFIX, RC_SUFFIX)
# The columns driftctl asks nvidia-smi for; a headerless CSV is read with exactly these.
QUERY_GPU_FIELDS = "index,name,driver_version,mig.mode.current,uuid"


@dataclass(frozen=True)
class NodeCommand:
    """One fixed command run on a node and the file it writes; a group's commands are fallbacks.

    Within a group the first output that gives the group's facts wins; the rest are skipped.
    """

    file: str
    command: str
    group: str  # "gpu" | "time"


# Order inside a group is the fallback order: XML, then CSV, then the plain table; chrony CSV
# (exact numbers), chrony text, timedatectl, ntpq.
NODE_COMMANDS: tuple[NodeCommand, ...] = (
    NodeCommand("nvidia-smi.xml", "nvidia-smi -q -x", "gpu"),
    NodeCommand("nvidia-smi.csv", f"nvidia-smi --query-gpu={QUERY_GPU_FIELDS} --format=csv", "gpu"),
    NodeCommand("nvidia-smi.txt", "nvidia-smi", "gpu"),
    NodeCommand("chronyc-tracking.csv", "chronyc -c tracking", "time"),
    NodeCommand("chronyc-tracking.txt", "chronyc tracking", "time"),
    # systemd before 239 has no `show`: the plain layout (same file) is the fallback.
    NodeCommand(
        "timedatectl.txt", "LC_ALL=C timedatectl show 2>/dev/null || LC_ALL=C timedatectl", "time"
    ),
    NodeCommand("ntpq.txt", "ntpq -pn", "time"),
)


def group_commands(group: str) -> tuple[NodeCommand, ...]:
    """The commands of one group, in fallback order."""
    return tuple(c for c in NODE_COMMANDS if c.group == group)


def node_path(node: str, file: str) -> str:
    """Where a node's output lives in a dump (and in a bundle's evidence)."""
    return f"{NODES_DIR}/{node}/{file}"
