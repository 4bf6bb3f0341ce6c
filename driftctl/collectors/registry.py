"""The explicit, ordered list of collectors; later ones may read the facts of earlier ones."""

from __future__ import annotations

from driftctl.collectors import clock, components, gpu, helm, kubernetes, nodes, workloads
from driftctl.collectors.interface import Collector

# Order matters: nodes (roles, GPU labels) before gpu (nvidia-smi overrides labels);
# workloads and helm before components, whose rules read both.
COLLECTORS: tuple[Collector, ...] = (
    kubernetes.KubernetesIdentity(),
    nodes.NodesCollector(),
    workloads.WorkloadsCollector(),
    helm.HelmCollector(),
    gpu.GpuCollector(),
    clock.ClockCollector(),
    components.ComponentsCollector(),
)
