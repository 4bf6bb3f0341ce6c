"""The release overlaid on one site's snapshot: what the site would run after the push.

Rendered workloads replace the site's workloads of the same ``ns/Kind/name`` (their pods stay on
today's nodes), the render's Helm release replaces the site's, and every component they touch
is derived again with the site's recorded ``sources`` by the collector's own functions —
exactly as the site would derive it from the live objects. What the release leaves unknown is
recorded in ``gaps`` (``component.attribute`` → why), so rules can say why they cannot check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from driftctl.collectors.components import RawEnv, RuleMiss, evaluate
from driftctl.collectors.fields import NotAFact
from driftctl.collectors.workloads import container_env, workload_facts
from driftctl.errors import InputError
from driftctl.parsers.kube_objects import seq
from driftctl.redact import SECRET_KEY_RE
from driftctl.release.image import from_image, valid_sources
from driftctl.release.model import HelmValues, Release, ReleaseComponent, Render
from driftctl.snapshot import (
    Component,
    Container,
    HelmRelease,
    JsonValue,
    ModelError,
    Snapshot,
    Workload,
)

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

    snapshot: Snapshot
    gaps: dict[str, str] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class _Parsed:
    """A render's workloads as the collector reads them, computed once for every site."""

    workloads: dict[str, Workload]  # nodes None: where pods run is the site's own
    raw_env: dict[str, RawEnv]


def _parse(render: Render) -> _Parsed:
    workloads: dict[str, Workload] = {}
    raw_env: dict[str, RawEnv] = {}
    for key, obj in render.workloads.items():
        where = f"{render.source}: {key}"
        try:
            workloads[key] = replace(workload_facts(obj), nodes=None).checked(where)
        except NotAFact as exc:
            raise InputError(f"{where}: {exc}") from None
        except ModelError as exc:
            raise InputError(str(exc)) from None
        raw_env[key] = {
            c["name"]: container_env(c)[0]
            for c in seq(obj, "spec", "template", "spec", "containers")
            if isinstance(c, dict) and isinstance(c.get("name"), str)
        }
    return _Parsed(workloads, raw_env)


@dataclass
class _Site:
    """The sections a release changes, as mutable copies of one site's snapshot."""

    workloads: dict[str, Workload]
    components: dict[str, Component]
    helm: dict[str, HelmRelease]
    gaps: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


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

    def __call__(self, snapshot: Snapshot, site: str) -> Overlaid:
        """The snapshot as it would be after the push; the input is never modified."""
        release = self.release
        state = _Site(dict(snapshot.workloads), dict(snapshot.components), dict(snapshot.helm))
        if release.rendered:
            render = release.render_for(site)
            if render is None:
                why = release.missing.get(site, "no rendered release for this site")
                state.notes.append(Note(True, f"no rendered release for this site: {why}"))
            else:
                _apply_render(state, render, self.parsed(render), site)
        for rc in release.components:
            _apply_component(state, rc, site)
        out = replace(
            snapshot, workloads=state.workloads, components=state.components, helm=state.helm
        )
        return Overlaid(out, state.gaps, tuple(state.notes))


def overlay(snapshot: Snapshot, release: Release, site: str) -> Overlaid:
    """The snapshot of one site as it would be after the push (see ``Overlay``)."""
    return Overlay(release)(snapshot, site)


def _on_site(new: Workload, before: Workload | None) -> Workload:
    """A rendered workload at one site: today's nodes, today's digest where the image is the same."""
    if before is None:
        return new  # not running here yet: no nodes
    containers = {}
    for name, container in new.containers.items():
        old = before.containers.get(name)
        same = old is not None and old.image == container.image
        containers[name] = replace(container, image_id=old.image_id) if same and old else container
    return replace(new, nodes=before.nodes, containers=containers)


def _helm_release(helm: HelmValues, before: HelmRelease | None) -> HelmRelease:
    values, computed = dict(helm.values), dict(helm.computed_values)
    if before is not None:
        return replace(
            before,
            chart=helm.chart,
            chart_version=helm.chart_version,
            app_version=helm.app_version,
            values=values,
            computed_values=computed,
        )
    return HelmRelease(
        revision=0,
        status="pending-install",
        chart=helm.chart,
        chart_version=helm.chart_version,
        app_version=helm.app_version,
        values=values,
        computed_values=computed,
    )


def _apply_render(state: _Site, render: Render, parsed: _Parsed, site: str) -> None:
    new: set[str] = set()
    for key, workload in parsed.workloads.items():
        before = state.workloads.get(key)
        state.workloads[key] = _on_site(workload, before)
        if before is None:
            new.add(key)
    if render.helm is not None:
        key = render.helm.key
        state.helm[key] = _helm_release(render.helm, state.helm.get(key))
    for name, comp in list(state.components.items()):
        in_render = comp.workload is not None and comp.workload in render.workloads
        if not in_render and render.helm is None:
            continue
        env = parsed.raw_env.get(comp.workload) if comp.workload is not None else None
        state.components[name] = _derive(state, name, comp, env, in_render)
        if in_render and comp.workload in new:
            text = f"{name} is new here: {comp.workload} does not run at {site} today"
            state.notes.append(Note(False, text))


def _derive(
    state: _Site, name: str, comp: Component, env: RawEnv | None, in_render: bool
) -> Component:
    """A component's facts derived again from the overlaid workloads and Helm releases."""
    attributes: dict[str, JsonValue] = dict(comp.attributes)
    sources = valid_sources(comp.sources)
    if sources is None:
        if in_render:
            for attr in attributes:
                attributes[attr] = None
                state.gaps[f"{name}.{attr}"] = NO_SOURCES
        return replace(comp, attributes=attributes)
    workload = state.workloads.get(comp.workload) if comp.workload is not None else None
    for attr, rule in sources.items():
        kind, _, arg = rule.partition(":")
        if kind != "helm" and not in_render:
            continue  # this workload is not in the render: its facts stay as collected
        if kind == "env" and SECRET_KEY_RE.search(arg):
            attributes[attr] = None
            state.gaps[f"{name}.{attr}"] = f"not read from the release: {rule} looks secret"
            continue
        try:
            attributes[attr] = evaluate(rule, name, workload, state.helm, env)
        except RuleMiss as exc:
            attributes[attr] = None
            state.gaps[f"{name}.{attr}"] = f"not given by the release: {rule}: {exc}"
    return replace(comp, attributes=attributes)


def _apply_component(state: _Site, rc: ReleaseComponent, site: str) -> None:
    comp = state.components.get(rc.name)
    if comp is None:
        text = f"component {rc.name} does not run at {site}; the release would add it"
        state.notes.append(Note(False, text))
        comp = Component(workload=None)
    attributes: dict[str, JsonValue] = dict(comp.attributes)
    given = set(rc.attributes) | ({"version"} if rc.version is not None else set())
    if rc.image is not None:
        workload = _set_image(state, comp, rc.name, rc.image)
        sources = valid_sources(comp.sources)
        if sources is None:  # how this site reads the rest is not recorded: nothing is known
            for attr in [a for a in attributes if a not in ("image", *given)]:
                attributes[attr] = None
                state.gaps[f"{rc.name}.{attr}"] = NO_SOURCES
        else:
            derived, missing = from_image(rc.name, workload, sources, given)
            attributes.update(derived)
            for attr, why in missing.items():
                attributes[attr] = None
                state.gaps[f"{rc.name}.{attr}"] = why
        attributes["image"] = rc.image
    attributes.update(rc.attributes)
    if rc.version is not None:
        attributes["version"] = rc.version
    for attr in given:
        state.gaps.pop(f"{rc.name}.{attr}", None)
    state.components[rc.name] = replace(comp, attributes=attributes)


def _set_image(state: _Site, comp: Component, name: str, image: str) -> Workload:
    """The component's workload with the image in its main container (the one named like the
    component, else the first, as the collector picks it); its digest is unknown."""
    key = comp.workload
    current = state.workloads.get(key) if key is not None else None
    if current is None:  # no workload facts: a stand-in only to read the image's tag
        pulled = Container(image=image, image_id=None, env={})
        return Workload(
            kind="Deployment",
            replicas=None,
            labels={},
            annotations={},
            template_labels={},
            template_annotations={},
            containers={name: pulled},
            nodes=None,
        )
    containers: dict[str, Container] = dict(current.containers)
    target = name if name in containers else next(iter(containers), name)
    old = containers.get(target)
    containers[target] = (
        Container(image=image, image_id=None, env={})
        if old is None
        else replace(old, image=image, image_id=None)
    )
    updated = replace(current, containers=containers)
    if key is not None:
        state.workloads[key] = updated
    return updated
