"""The release overlaid on one site's snapshot: what the site would run after the push.

The only module of the release package that knows the snapshot's shape. Rendered workloads
replace the site's workloads of the same ``ns/Kind/name`` (their pods stay on today's nodes),
the render's Helm release replaces the site's, and every component they touch is derived
again with the site's recorded ``sources`` by the collector's own functions — exactly as the
site would derive it from the live objects. What the release leaves unknown is recorded in
``gaps`` (``component.attribute`` → why), so rules can say why they cannot check it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftctl.collectors.components import RawEnv, RuleMiss, evaluate
from driftctl.collectors.workloads import container_env, workload_facts
from driftctl.parsers.kube_objects import seq
from driftctl.redact import SECRET_KEY_RE
from driftctl.release.image import from_image, valid_sources
from driftctl.release.model import Release, ReleaseComponent, Render

# Keys of a component that say how its facts are read, not facts a release could change.
_NOT_ATTRIBUTES = ("workload", "sources")
NO_SOURCES = (
    "not given by the release: the site's snapshot records no sources for it (collected by a "
    "driftctl before 1.1); collect the site again"
)


@dataclass(frozen=True)
class Note:
    """Something the release does at a site that is a fact of its own (``block`` or ``warn``)."""

    blocks: bool
    text: str


@dataclass(frozen=True)
class Overlaid:
    """A site's snapshot after the push, why some component facts are unknown, and notes."""

    snapshot: dict[str, Any]
    gaps: dict[str, str] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class _Parsed:
    """A render's workloads as the collector reads them, computed once for every site."""

    facts: dict[str, dict[str, Any]]
    raw_env: dict[str, RawEnv]


def _parse(render: Render) -> _Parsed:
    facts: dict[str, dict[str, Any]] = {}
    raw_env: dict[str, RawEnv] = {}
    for key, obj in render.workloads.items():
        facts[key] = workload_facts(dict(obj))
        raw_env[key] = {
            c["name"]: container_env(c)[0]
            for c in seq(obj, "spec", "template", "spec", "containers")
            if isinstance(c, dict) and isinstance(c.get("name"), str)
        }
    return _Parsed(facts, raw_env)


class Overlay:
    """Overlays one release on any number of site snapshots (a render is parsed only once)."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self._parsed: dict[int, tuple[Render, _Parsed]] = {}

    def parsed(self, render: Render) -> _Parsed:
        hit = self._parsed.get(id(render))
        if hit is None or hit[0] is not render:
            hit = (render, _parse(render))
            self._parsed[id(render)] = hit
        return hit[1]

    def __call__(self, snapshot: Mapping[str, Any], site: str) -> Overlaid:
        """The snapshot as it would be after the push; the input is never modified."""
        release = self.release
        out = dict(snapshot)
        out["components"] = {
            k: dict(_mapping(v)) for k, v in _mapping(snapshot.get("components")).items()
        }
        out["workloads"] = dict(_mapping(snapshot.get("workloads")))
        out["helm"] = dict(_mapping(snapshot.get("helm")))
        gaps: dict[str, str] = {}
        notes: list[Note] = []
        if release.rendered:
            render = release.render_for(site)
            if render is None:
                why = release.missing.get(site, "no rendered release for this site")
                notes.append(Note(True, f"no rendered release for this site: {why}"))
            else:
                notes += _apply_render(out, render, self.parsed(render), site, gaps)
        for rc in release.components:
            notes += _apply_component(out, rc, site, gaps)
        return Overlaid(out, gaps, tuple(notes))


def overlay(snapshot: Mapping[str, Any], release: Release, site: str) -> Overlaid:
    """The snapshot of one site as it would be after the push (see ``Overlay``)."""
    return Overlay(release)(snapshot, site)


def _apply_render(
    out: dict[str, Any], render: Render, parsed: _Parsed, site: str, gaps: dict[str, str]
) -> list[Note]:
    workloads: dict[str, Any] = out["workloads"]
    new: set[str] = set()
    for key, shared in parsed.facts.items():
        before = _mapping(workloads.get(key))
        # Per-site copy: nodes and digests below are this site's.
        facts = {**shared, "containers": {c: dict(v) for c, v in shared["containers"].items()}}
        # Pods stay where they run today; a workload not running here has no nodes yet.
        facts["nodes"] = before.get("nodes") if before else None
        old = _mapping(before.get("containers"))
        for cname, container in facts["containers"].items():
            previous = _mapping(old.get(cname))
            if previous.get("image") == container.get("image"):
                container["image_id"] = previous.get("image_id")
        workloads[key] = facts
        if not before:
            new.add(key)
    raw_env = parsed.raw_env
    if render.helm is not None:
        helm = render.helm
        out["helm"][helm.key] = {
            **_mapping(out["helm"].get(helm.key)),
            "chart": helm.chart,
            "chart_version": helm.chart_version,
            "app_version": helm.app_version,
            "values": dict(helm.values),
            "computed_values": dict(helm.computed_values),
        }
    notes: list[Note] = []
    for name, comp in out["components"].items():
        workload = comp.get("workload")
        in_render = isinstance(workload, str) and workload in render.workloads
        if not in_render and render.helm is None:
            continue
        _derive(out, name, comp, raw_env.get(str(workload)), in_render, gaps)
        if in_render and workload in new:
            notes.append(
                Note(False, f"{name} is new here: {workload} does not run at {site} today")
            )
    return notes


def _derive(
    out: dict[str, Any],
    name: str,
    comp: dict[str, Any],
    env: RawEnv | None,
    in_render: bool,
    gaps: dict[str, str],
) -> None:
    """Derive a component's facts again from the overlaid workloads and Helm values."""
    sources = valid_sources(comp.get("sources"))
    if sources is None:
        if in_render:
            for attr in [a for a in comp if a not in _NOT_ATTRIBUTES]:
                comp[attr] = None
                gaps[f"{name}.{attr}"] = NO_SOURCES
        return
    workload = out["workloads"].get(comp.get("workload"))
    for attr, rule in sources.items():
        kind, _, arg = rule.partition(":")
        if kind != "helm" and not in_render:
            continue  # this workload is not in the render: its facts stay as collected
        if kind == "env" and SECRET_KEY_RE.search(arg):
            comp[attr] = None
            gaps[f"{name}.{attr}"] = f"not read from the release: {rule} looks secret"
            continue
        try:
            comp[attr] = evaluate(rule, name, workload, out, env)
        except RuleMiss as exc:
            comp[attr] = None
            gaps[f"{name}.{attr}"] = f"not given by the release: {rule}: {exc}"


def _apply_component(
    out: dict[str, Any], rc: ReleaseComponent, site: str, gaps: dict[str, str]
) -> list[Note]:
    notes: list[Note] = []
    comps: dict[str, Any] = out["components"]
    if rc.name not in comps:
        notes.append(
            Note(False, f"component {rc.name} does not run at {site}; the release would add it")
        )
    comp = comps.setdefault(rc.name, {})
    given = set(rc.attributes) | ({"version"} if rc.version is not None else set())
    if rc.image is not None:
        workload = _set_image(out, comp, rc)
        sources = valid_sources(comp.get("sources"))
        if sources is None:  # how this site reads the rest is not recorded: nothing is known
            for attr in [a for a in comp if a not in (*_NOT_ATTRIBUTES, "image", *given)]:
                comp[attr] = None
                gaps[f"{rc.name}.{attr}"] = NO_SOURCES
        else:
            derived, missing = from_image(rc.name, workload, sources, given)
            comp.update(derived)
            for attr, why in missing.items():
                comp[attr] = None
                gaps[f"{rc.name}.{attr}"] = why
        comp["image"] = rc.image
    comp.update(rc.attributes)
    if rc.version is not None:
        comp["version"] = rc.version
    for attr in given:
        gaps.pop(f"{rc.name}.{attr}", None)
    return notes


def _set_image(
    out: dict[str, Any], comp: Mapping[str, Any], rc: ReleaseComponent
) -> dict[str, Any]:
    """Put the release's image into the component's main container; its digest is unknown."""
    workloads: dict[str, Any] = out["workloads"]
    key = comp.get("workload")
    wl = dict(_mapping(workloads.get(key))) if isinstance(key, str) else {}
    containers = dict(_mapping(wl.get("containers")))
    target = rc.name if rc.name in containers else next(iter(containers), rc.name)
    containers[target] = {**_mapping(containers.get(target)), "image": rc.image, "image_id": None}
    wl["containers"] = containers
    if isinstance(key, str) and key in workloads:
        workloads[key] = wl
    return wl
