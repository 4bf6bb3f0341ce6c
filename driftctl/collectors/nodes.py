"""Node facts from ``kubernetes/nodes.json``: roles, addresses, versions, GFD GPU labels."""

from __future__ import annotations

from driftctl.collectors.fields import NotAFact, text
from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import NODES_PATH, group_commands, node_path
from driftctl.parsers.kube_objects import ListUnavailable, load_items, mapping, seq
from driftctl.parsers.kube_objects import str_map as labels_of
from driftctl.snapshot import ABSENT, Failure, Gpu, GpuSource, Node
from driftctl.strictjson import JsonObject

ROLE_PREFIX = "node-role.kubernetes.io/"
NV = "nvidia.com/"
GFD_ABSENT = "GFD labels absent (MIG reconfiguration?)"


def node_roles(labels: dict[str, str]) -> tuple[str, ...]:
    """Roles from ``node-role.kubernetes.io/<role>`` keys and the legacy ``kubernetes.io/role``."""
    roles = {k[len(ROLE_PREFIX) :] for k in labels if k.startswith(ROLE_PREFIX)}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return tuple(sorted(r for r in roles if r))


def _join(*parts: str | None) -> str | None:
    """``major.minor[.rev]`` from label parts; None unless major and minor are present."""
    if not parts[0] or not parts[1]:
        return None
    return ".".join(p for p in parts if p)


def gfd_gpu(labels: dict[str, str]) -> Gpu | None:
    """GPU facts from GPU Feature Discovery labels, or None when GFD gave no driver version.

    New GFD has ``cuda.driver-version.full``; old GFD only ``cuda.driver.major/minor/rev``. The
    revision keeps its leading zero ("01"): versions are strings, never numbers.
    """
    driver = labels.get(NV + "cuda.driver-version.full") or _join(
        labels.get(NV + "cuda.driver.major"),
        labels.get(NV + "cuda.driver.minor"),
        labels.get(NV + "cuda.driver.rev"),
    )
    if driver is None:
        return None
    cuda = labels.get(NV + "cuda.runtime-version.full") or _join(
        labels.get(NV + "cuda.runtime.major"), labels.get(NV + "cuda.runtime.minor")
    )
    count = labels.get(NV + "gpu.count")
    return Gpu(
        source=GpuSource.GFD,
        driver_version=driver,
        cuda_version=cuda,
        product=labels.get(NV + "gpu.product"),
        count=int(count) if count and count.isdigit() else None,
        mig_strategy=labels.get(NV + "mig.strategy"),
    )


def looks_like_gpu_node(node: JsonObject, labels: dict[str, str]) -> bool:
    """Signs of an NVIDIA GPU that survive when GFD labels are gone."""
    if labels.get(NV + "gpu.present") == "true" or NV + "mig.config" in labels:
        return True
    if labels.get("feature.node.kubernetes.io/pci-10de.present") == "true":
        return True
    return any(k.startswith(NV) for k in mapping(node, "status", "capacity"))


def node_facts(node: JsonObject) -> tuple[Node, bool]:
    """Facts of one node and whether its GPU facts are unknown (a GPU node without GFD labels);
    raise NotAFact when a version it reports is not a string."""
    labels = labels_of(node, "metadata", "labels")
    info = mapping(node, "status", "nodeInfo")
    ips = [
        a.get("address")
        for a in seq(node, "status", "addresses")
        if isinstance(a, dict) and a.get("type") == "InternalIP"
    ]
    gpu = gfd_gpu(labels)
    unknown = gpu is None and looks_like_gpu_node(node, labels)
    facts = Node(
        roles=node_roles(labels),
        internal_ip=ips[0] if ips and isinstance(ips[0], str) else None,
        kubelet_version=text(info.get("kubeletVersion"), "status.nodeInfo.kubeletVersion"),
        container_runtime=text(
            info.get("containerRuntimeVersion"), "status.nodeInfo.containerRuntimeVersion"
        ),
        kernel_version=text(info.get("kernelVersion"), "status.nodeInfo.kernelVersion"),
        os_image=text(info.get("osImage"), "status.nodeInfo.osImage"),
        gpu=gpu if gpu is not None or unknown else ABSENT,
    )
    return facts, unknown


def _has_nvidia_smi(ctx: CollectContext, node: str) -> bool:
    """Whether an nvidia-smi output for the node exists: the gpu collector then knows better."""
    for cmd in group_commands("gpu"):
        artifact = ctx.raw.get(node_path(node, cmd.file))
        if artifact is not None and artifact.ok:
            return True
    return False


class NodesCollector:
    """Reads every node of the Kubernetes node list."""

    name = "nodes"

    def collect(self, ctx: CollectContext) -> Facts:
        try:
            items = load_items(ctx.raw, NODES_PATH)
        except ListUnavailable as exc:
            return Facts(failures=(Failure("kubernetes/nodes", self.name, str(exc)),))
        nodes: dict[str, Node] = {}
        failures: list[Failure] = []
        for node in items:
            name = mapping(node, "metadata").get("name")
            if not isinstance(name, str):
                failures.append(Failure("kubernetes/nodes", self.name, "a node has no name"))
                continue
            try:
                nodes[name], unknown = node_facts(node)
            except NotAFact as exc:  # the node is unknown, not half known
                failures.append(Failure(f"nodes/{name}", self.name, str(exc)))
                continue
            if unknown and not _has_nvidia_smi(ctx, name):
                failures.append(Failure(f"nodes/{name}", self.name, GFD_ABSENT))
        return Facts(nodes=nodes, failures=tuple(failures))
