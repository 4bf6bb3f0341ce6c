"""Rule kind ``gpu``: every node where a component runs has a driver (and CUDA) it needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet

from driftctl import validate as v
from driftctl.errors import InputError
from driftctl.policy.cuda import ToolkitEntry, load_table
from driftctl.policy.facts import SiteContext
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.snapshot import Absent, Gpu
from driftctl.versions import parse_version, satisfies

KIND = "gpu"
KEYS = {"component", "cuda", "driver", "compat"}
REQUIRED = {"component"}


@dataclass(frozen=True)
class GpuRule:
    component: str
    cuda: SpecifierSet | None
    cuda_text: str | None
    cuda_minimum: ToolkitEntry | None
    driver: SpecifierSet | None
    driver_text: str | None

    def refs(self) -> list[Ref]:
        return [Ref("component", RefKind.COMPONENT, self.component)]


def parse(raw: Mapping[str, object], where: str) -> GpuRule:
    if "cuda" not in raw and "driver" not in raw:
        raise InputError(f"{where}: needs key 'cuda' or 'driver'")
    compat = raw.get("compat", "toolkit")
    if compat not in ("toolkit", "minor"):
        raise InputError(f"{where}: key 'compat' must be toolkit or minor, not {compat!r}")
    if compat == "minor" and "cuda" not in raw:
        raise InputError(f"{where}: key 'compat' needs key 'cuda'")
    cuda = v.specifier(raw, "cuda", where) if "cuda" in raw else None
    minimum = None
    if cuda is not None:
        table = load_table()
        minimum = table.minimum_driver(cuda)
        if minimum is None:
            raise InputError(
                f"{where}: key 'cuda': {raw['cuda']!r} matches no CUDA release in NVIDIA's driver table"
            )
        if compat == "minor":
            minimum = table.minor_compat_driver(minimum)
    driver = v.specifier(raw, "driver", where) if "driver" in raw else None
    return GpuRule(
        component=v.string(raw, "component", where),
        cuda=cuda,
        cuda_text=str(raw["cuda"]) if cuda is not None else None,
        cuda_minimum=minimum,
        driver=driver,
        driver_text=str(raw["driver"]) if driver is not None else None,
    )


def _need(cfg: GpuRule) -> str:
    parts = []
    if cfg.cuda_text and cfg.cuda_minimum:
        parts.append(
            f"CUDA {cfg.cuda_text} (driver >= {cfg.cuda_minimum.driver_text}, "
            f"{cfg.cuda_minimum.release})"
        )
    if cfg.driver_text:
        parts.append(f"driver {cfg.driver_text}")
    return " and ".join(parts)


def _node_problem(cfg: GpuRule, gpu: Gpu, driver_text: str) -> str | None:
    driver = parse_version(driver_text)
    cuda_reported = gpu.cuda_version
    has = f"driver {driver_text}" + (f" (CUDA {cuda_reported})" if cuda_reported else "")
    if driver is None:
        return None
    if cfg.cuda_minimum is not None and driver < cfg.cuda_minimum.driver:
        return has
    if cfg.cuda is not None and cuda_reported and satisfies(str(cuda_reported), cfg.cuda) is False:
        return has
    if cfg.driver is not None and not cfg.driver.contains(driver, prereleases=True):
        return has
    return None


def check(rule: Rule, ctx: SiteContext) -> Iterator[Finding]:
    cfg = rule.config
    assert isinstance(cfg, GpuRule)
    name = cfg.component
    comp = ctx.component(name)
    if comp is None:
        yield ctx.cannot_check(
            rule, f"component {name}", ctx.why_component(name), components=(name,)
        )
        return
    nodes = ctx.component_nodes(name)
    if not nodes:
        # Pods stay where they run today: with none running, nobody knows where they will.
        why = "it has no running pods" if nodes == [] else ctx.why_workload_nodes(name)
        yield ctx.cannot_check(rule, f"nodes where {name} runs", why, components=(name,))
        return
    label = f"{name} {comp.version}" if comp.version is not None else name
    bad: dict[str, str] = {}
    unknown: dict[str, str] = {}
    for node in nodes:
        gpu = ctx.node(node).gpu
        driver = gpu.driver_version if isinstance(gpu, Gpu) else None
        if not isinstance(gpu, Gpu) or driver is None:
            error = (
                gpu.error if isinstance(gpu, Gpu) and not isinstance(gpu.error, Absent) else None
            )
            unknown[node] = f" ({error})" if error else ""
            continue
        if parse_version(str(driver)) is None:
            unknown[node] = f" (driver {driver!r} is not a version)"
            continue
        problem = _node_problem(cfg, gpu, str(driver))
        if problem is not None:
            bad[node] = problem
    if bad:
        detail = ", ".join(f"{n} has {p}" for n, p in bad.items())
        yield ctx.finding(
            rule,
            f"{label} needs {_need(cfg)}: {detail}",
            components=(name,),
            nodes=tuple(bad),
            values={f"nodes.{n}.gpu": p for n, p in bad.items()},
        )
    if unknown:
        detail = ", ".join(f"{n}{why}" for n, why in unknown.items())
        plural = "nodes" if len(unknown) > 1 else "node"
        causes = [ctx.why_node(n, "gpu", "nodes") for n in unknown]
        why = "; ".join([f"{name} runs there", *filter(None, causes)])
        yield ctx.cannot_check(
            rule,
            f"GPU driver of {plural} {detail}",
            why,
            components=(name,),
            nodes=tuple(unknown),
        )
